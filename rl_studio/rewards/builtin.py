"""Built-in rewards: correctness, think_format, boxed_format and overlong (UI-free core)."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

BOXED = re.compile(r"\\boxed\{((?:[^{}]|\{[^{}]*\})*)\}")
ANSWER_LINE = re.compile(r"(?:answer\s*(?:is\s*:?|[:=])|####)\s*\$?\s*(-?[\d,]*\.?\d+)", re.IGNORECASE)
NUMBER = re.compile(r"-?\d[\d,]*\.?\d*|-?\.\d+")
THINK_STRICT = re.compile(r"^\s*<think>.+?</think>\s*\S", re.DOTALL)
THINK_LOOSE = re.compile(r"<think>.*?</think>", re.DOTALL)


def completion_text(completion: Any) -> str:
    """Text of a completion: a plain string, or TRL's conversational list of messages."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, list) and completion:
        return "".join(str(m.get("content", "")) for m in completion if isinstance(m, dict))
    return ""


def _to_number(text: str) -> float | None:
    text = text.replace(",", "").replace("$", "").strip().rstrip(".")
    try:
        return float(text)
    except ValueError:
        m = NUMBER.search(text)
        if m:
            try:
                return float(m.group(0).replace(",", ""))
            except ValueError:
                return None
    return None


def extract_answer(text: str) -> str | None:
    """The final answer a text states: \\boxed{N}, 'Answer: N' or '#### N' (last one wins), else its last number."""
    boxed = BOXED.findall(text)
    if boxed:
        return boxed[-1].strip()
    lines = ANSWER_LINE.findall(text)
    if lines:
        return lines[-1]
    numbers = NUMBER.findall(text)  # small models often state the result without any marker
    return numbers[-1].rstrip(".") if numbers else None


def reference_answer(value: Any) -> str:
    text = str(value)
    if "####" in text:  # GSM8K: worked steps, then '#### N'
        return text.rsplit("####", 1)[1].strip()
    return text.strip()


def answers_match(predicted: str, reference: str) -> bool:
    a, b = _to_number(predicted), _to_number(reference)
    if a is not None and b is not None and re.fullmatch(r"\s*-?[\d,]*\.?\d+\s*", predicted.replace("$", "")):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    try:  # symbolic forms (fractions, LaTeX): math-verify, where it parses
        from math_verify import parse, verify

        gold, pred = parse(f"${reference}$"), parse(f"${predicted}$")
        if gold and pred:
            return bool(verify(gold, pred))
    except Exception:  # noqa: BLE001 - unparsable means no match, never a crash
        pass
    return a is not None and b is not None and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def make_correctness(answer_column: str | None) -> Callable[..., list[float | None]]:
    column = answer_column or "answer"

    def correctness(completions: list[Any], **kwargs: Any) -> list[float | None]:
        """1.0 when the stated final answer equals the reference answer, else 0.0."""
        refs = kwargs.get(column)
        if refs is None:
            raise ValueError(
                f"the correctness reward needs the answer column {column!r}; set dataset.answer_column"
            )
        out: list[float | None] = []
        for completion, ref in zip(completions, refs, strict=True):
            pred = extract_answer(completion_text(completion))
            out.append(1.0 if pred is not None and answers_match(pred, reference_answer(ref)) else 0.0)
        return out

    return correctness


def think_format(completions: list[Any], **kwargs: Any) -> list[float]:
    """1.0 for '<think>...</think> answer', 0.5 when both tags appear in order elsewhere, else 0.0."""
    out = []
    for c in completions:
        text = completion_text(c)
        out.append(1.0 if THINK_STRICT.match(text) else 0.5 if THINK_LOOSE.search(text) else 0.0)
    return out


def boxed_format(completions: list[Any], **kwargs: Any) -> list[float]:
    """1.0 for exactly one \\boxed{...} holding a number, 0.5 for any \\boxed{...}, else 0.0."""
    out = []
    for c in completions:
        boxed = BOXED.findall(completion_text(c))
        if len(boxed) == 1 and _to_number(boxed[0]) is not None:
            out.append(1.0)
        else:
            out.append(0.5 if boxed else 0.0)
    return out


def make_overlong(max_completion_length: int) -> Callable[..., list[float]]:
    """TRL's soft overlong punishment (DAPO eq. 13), with a cache of a quarter of the maximum."""
    from trl.rewards import get_soft_overlong_punishment

    inner = get_soft_overlong_punishment(max_completion_length, max(1, max_completion_length // 4))

    def overlong(completion_ids: list[list[int]], **kwargs: Any) -> list[float]:
        """0 up to 3/4 of max_completion_length, falling linearly to -1 at the maximum."""
        return inner(completion_ids=completion_ids)

    return overlong


BUILTINS: dict[str, str] = {
    "correctness": "1 when the final answer (\\boxed{}, 'Answer:', '####', else the last number) matches the answer column",
    "think_format": "1 for <think>...</think> then an answer; 0.5 for the tags elsewhere",
    "boxed_format": "1 for exactly one \\boxed{number}; 0.5 for any \\boxed{}",
    "overlong": "TRL's soft overlong punishment: 0 until 3/4 of the length limit, down to -1 at it",
}

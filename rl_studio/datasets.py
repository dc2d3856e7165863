"""Prompt datasets: the built-in arithmetic generator, local files and hub ids (UI-free core).

`load_rows` gives the raw table; `to_prompt_dataset` turns it into TRL's conversational format
(a `prompt` column of chat messages, every other column kept so rewards receive it), leaving the
chat template itself to the tokenizer, as TRL applies it.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rl_studio.errors import StudioError

if TYPE_CHECKING:
    from datasets import Dataset

    from rl_studio.config import DatasetSection

FILE_LOADERS = {".json": "json", ".jsonl": "json", ".csv": "csv", ".parquet": "parquet"}
NAMES = ["Ava", "Ben", "Chen", "Dana", "Eli", "Fatima", "Goran", "Hana", "Ivo", "Jia", "Kofi", "Lena"]
THINGS = ["apples", "books", "coins", "marbles", "pencils", "stickers", "cards", "shells"]


def arithmetic_problem(rng: random.Random) -> dict[str, str]:
    """One GSM8K-like word problem; `answer` is the verified number, `solution` the worked steps."""
    name, other = rng.sample(NAMES, 2)
    thing = rng.choice(THINGS)
    kind = rng.choice(["add", "sub", "mul", "two_step", "share"])
    if kind == "add":
        a, b = rng.randint(2, 40), rng.randint(2, 40)
        q = f"{name} has {a} {thing}. {other} gives {name} {b} more. How many {thing} does {name} have now?"
        steps, ans = f"{a} + {b} = {a + b}", a + b
    elif kind == "sub":
        a = rng.randint(10, 60)
        b = rng.randint(1, a - 1)
        q = f"{name} had {a} {thing} and gave {b} of them to {other}. How many {thing} does {name} have left?"
        steps, ans = f"{a} - {b} = {a - b}", a - b
    elif kind == "mul":
        a, b = rng.randint(2, 12), rng.randint(2, 12)
        q = f"{name} has {a} boxes with {b} {thing} in each box. How many {thing} are there in all?"
        steps, ans = f"{a} * {b} = {a * b}", a * b
    elif kind == "share":
        b = rng.randint(2, 9)
        ans = rng.randint(2, 12)
        a = b * ans
        q = f"{name} shares {a} {thing} equally among {b} friends. How many {thing} does each friend get?"
        steps = f"{a} / {b} = {ans}"
    else:
        a, b, c = rng.randint(2, 30), rng.randint(2, 30), rng.randint(1, 20)
        q = (
            f"{name} has {a} {thing}. {other} gives {name} {b} more, then {name} loses {c}. "
            f"How many {thing} does {name} have?"
        )
        steps, ans = f"{a} + {b} = {a + b}; {a + b} - {c} = {a + b - c}", a + b - c
    assert eval(steps.split(";")[-1].split("=")[0]) == ans  # noqa: S307 - our own arithmetic, verified
    return {"question": q, "answer": str(ans), "solution": f"{steps}\n#### {ans}"}


def builtin_arithmetic(n: int, seed: int) -> list[dict[str, str]]:
    rng = random.Random(seed)
    return [arithmetic_problem(rng) for _ in range(n)]


def load_rows(ds: DatasetSection, *, base_dir: Path | None = None, seed: int = 3407) -> Dataset:
    """The raw table for a dataset section, capped at max_samples."""
    import datasets as hf_datasets
    from datasets import Dataset, load_dataset

    hf_datasets.disable_progress_bars()
    source = ds.source
    if source == "builtin:arithmetic":
        data = Dataset.from_list(builtin_arithmetic(ds.max_samples or 512, seed))
    elif source.startswith("builtin:"):
        raise StudioError(f"unknown built-in dataset {source!r}; the built-in is builtin:arithmetic")
    else:
        path = Path(source).expanduser()
        if not path.is_absolute() and base_dir is not None:
            path = base_dir / path
        if path.suffix.lower() in FILE_LOADERS or path.exists():
            if not path.is_file():
                raise StudioError(f"dataset file {path} not found; check dataset.source")
            loader = FILE_LOADERS.get(path.suffix.lower())
            if loader is None:
                raise StudioError(f"dataset file {path}: use .json, .jsonl, .csv or .parquet")
            try:
                data = load_dataset(loader, data_files=str(path), split="train")
            except Exception as e:  # noqa: BLE001 - any parse failure is the user's file
                raise StudioError(f"could not read dataset file {path}: {str(e).splitlines()[0]}") from None
        else:
            try:
                data = load_dataset(source, split=ds.split)
            except Exception as e:  # noqa: BLE001
                first = str(e).splitlines()[0] if str(e) else type(e).__name__
                raise StudioError(
                    f"could not load dataset {source!r} (split {ds.split!r}) from the Hugging Face Hub: {first}; "
                    "check the id and split, or point dataset.source at a local file"
                ) from None
    if ds.max_samples is not None and len(data) > ds.max_samples:
        data = data.select(range(ds.max_samples))
    return data


def check_columns(columns: list[str], ds: DatasetSection) -> None:
    for key, col in (("prompt_column", ds.prompt_column), ("answer_column", ds.answer_column)):
        if col is not None and col not in columns:
            raise StudioError(
                f"dataset has no column {col!r} (dataset.{key}); its columns are: {', '.join(columns)}"
            )


def messages_for(prompt: Any, system_prompt: str | None) -> list[dict[str, str]]:
    if isinstance(prompt, list):  # already chat messages
        msgs = [dict(m) for m in prompt]
    else:
        msgs = [{"role": "user", "content": str(prompt)}]
    if system_prompt and not (msgs and msgs[0].get("role") == "system"):
        msgs.insert(0, {"role": "system", "content": system_prompt})
    return msgs


def to_prompt_dataset(data: Dataset, ds: DatasetSection) -> Dataset:
    """TRL's conversational format: `prompt` holds chat messages; other columns stay for the rewards."""
    check_columns(list(data.column_names), ds)
    col, system = ds.prompt_column, ds.system_prompt

    def fmt(row: dict[str, Any]) -> dict[str, Any]:
        return {"prompt": messages_for(row[col], system)}

    remove = ["prompt"] if "prompt" in data.column_names and col != "prompt" else []
    if remove:
        data = data.rename_column("prompt", "original_prompt")
    return data.map(fmt, remove_columns=[col] if col == "prompt" else [], desc=None)


def render_prompt(tokenizer: Any, messages: list[dict[str, str]]) -> str:
    """The exact text the model sees, through the tokenizer's own chat template."""
    return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)

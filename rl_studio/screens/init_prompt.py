"""`rl-studio init [CONFIG]`: the wizard's questions as plain prompts (questionary), writing the same TOML.

Nothing is written until every answer is in; Ctrl-C (or an empty answer stream) leaves no file.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rl_studio.config import BUILTIN_MODEL, ENGINES, RewardSpec, RunConfig, from_dict
from rl_studio.errors import StudioError
from rl_studio.screens.presets import MAIN_KNOBS, PRESETS, apply_preset
from rl_studio.screens.wizard_rewards import BUILTINS

RANKS = ("8", "16", "32", "64", "128")
MODULES = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


class Cancelled(Exception):
    """The user pressed Ctrl-C (questionary answered None)."""


def _int(minimum: int) -> Callable[[str], bool | str]:
    def check(v: str) -> bool | str:
        return (v.strip().isdigit() and int(v) >= minimum) or f"a whole number ≥ {minimum}"
    return check


def _float(minimum: float, strict: bool = False) -> Callable[[str], bool | str]:
    def check(v: str) -> bool | str:
        try:
            x = float(v)
        except ValueError:
            return "a number, such as 5e-6"
        ok = x > minimum if strict else x >= minimum
        return ok or f"a number {'>' if strict else '≥'} {minimum:g}"
    return check


def ask_all(ask: Any, output_dir: str = "runs") -> RunConfig:
    """Every question in the wizard's order; `ask` is the questionary module (or a fake in tests)."""

    def a(question) -> Any:
        answer = question.ask()
        if answer is None:
            raise Cancelled
        return answer

    cfg = RunConfig()
    m = cfg.model
    m.name = a(ask.text("Model (builtin, hub id or path):", default=BUILTIN_MODEL,
                        validate=lambda v: bool(v.strip()) or "a model is required")).strip()
    m.engine = a(ask.select("Engine:", choices=list(ENGINES), default=m.engine))
    m.max_seq_length = int(a(ask.text("Max sequence length:", default=str(m.max_seq_length), validate=_int(16))))
    m.load_in_4bit = a(ask.confirm("Load in 4-bit (QLoRA, GPU only)?", default=False))
    m.fast_inference = a(ask.confirm("Fast generation (vLLM-class)?", default=False))
    lo = cfg.lora
    lo.enabled = a(ask.confirm("Train a LoRA adapter (no: full fine-tuning)?", default=True))
    if lo.enabled:
        lo.r = int(a(ask.select("LoRA rank:", choices=list(RANKS), default=str(lo.r))))
        lo.alpha = int(a(ask.text("LoRA alpha:", default=str(lo.r), validate=_int(1))))
        lo.dropout = float(a(ask.text("LoRA dropout:", default="0.0", validate=_float(0.0))))
        lo.target_modules = a(ask.checkbox("Target modules:", choices=[ask.Choice(x, checked=True) for x in MODULES],
                                           validate=lambda v: bool(v) or "tick at least one"))
    d = cfg.dataset
    d.source = a(ask.text("Dataset (builtin:arithmetic, hub id or local file):", default=d.source,
                          validate=lambda v: bool(v.strip()) or "a dataset is required")).strip()
    d.split = a(ask.text("Split:", default=d.split)).strip() or "train"
    d.prompt_column = a(ask.text("Prompt column:", default=d.prompt_column)).strip()
    d.answer_column = a(ask.text("Answer column (empty: none):", default="answer")).strip() or None
    d.system_prompt = a(ask.text("System prompt (empty: none):", default="")).strip() or None
    names = a(ask.checkbox("Built-in rewards:", choices=[ask.Choice(n, checked=n == "correctness", description=t)
                                                         for n, t in BUILTINS.items()]))
    rewards = [RewardSpec(name=n) for n in names]
    while True:
        extra = a(ask.text("Reward from a file, FILE.py:FUNCTION (empty: done):", default="")).strip()
        if not extra:
            break
        if ":" not in extra:
            print("  give it as FILE.py:FUNCTION")
            continue
        rewards.append(RewardSpec(path=extra))
    if not rewards:
        raise StudioError("no reward function chosen; tick a built-in or give FILE.py:FUNCTION")
    for r in rewards:
        r.weight = float(a(ask.text(f"Weight of {r.label}:", default="1.0", validate=_float(0.0))))
    cfg.rewards = rewards
    preset = a(ask.select("Algorithm preset:", choices=list(PRESETS), default="Dr.GRPO"))
    cfg.grpo = apply_preset({}, preset)
    for key, default in MAIN_KNOBS.items():
        if key == "beta" and "beta" in cfg.grpo:
            continue
        check = _int(2 if key == "num_generations" else 1) if isinstance(default, int) else _float(0.0, key != "beta")
        raw = a(ask.text(f"{key}:", default=str(default), validate=check))
        cfg.grpo[key] = int(raw) if isinstance(default, int) else float(raw)
    cfg.run.name = a(ask.text("Run name:", default="run",
                              validate=lambda v: ("/" not in v and bool(v.strip())) or "a plain folder name")).strip()
    cfg.run.output_dir = output_dir
    return cfg


def run(config_path: Path, ask: Any = None) -> int:
    """Ask, then write config_path atomically. Returns 0, 1 when cancelled, 2 on a bad answer."""
    if ask is None:
        import questionary as ask
    try:
        if config_path.exists() and not ask.confirm(f"{config_path} exists. Overwrite it?", default=False).ask():
            print(f"kept {config_path}; nothing written", file=sys.stderr)
            return 1
        cfg = ask_all(ask)
        from_dict(cfg.to_dict(), base_dir=config_path.resolve().parent)
    except (Cancelled, KeyboardInterrupt):
        print("cancelled; no file written", file=sys.stderr)
        return 1
    except StudioError as e:
        print(str(e), file=sys.stderr)
        return 2
    cfg.save(config_path)
    print(f"wrote {config_path}; start it with: rl-studio train {config_path}")
    return 0

"""Turn `[[rewards]]` entries into callables, checking user code before any model is loaded (UI-free core)."""

from __future__ import annotations

import importlib.util
import inspect
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rl_studio.errors import StudioError
from rl_studio.rewards.builtin import BUILTINS, boxed_format, make_correctness, make_overlong, think_format
from rl_studio.rewards.listing import reward_functions_in

if TYPE_CHECKING:
    from rl_studio.config import RewardSpec, RunConfig

# What GRPOTrainer passes besides the dataset columns (see GRPOTrainer._calculate_rewards).
TRL_KWARGS = ("prompts", "completions", "completion_ids", "trainer_state", "log_extra", "log_metric")


@dataclass
class Reward:
    name: str
    func: Callable[..., Any]
    weight: float
    origin: str


def load_user_function(spec_path: str, base_dir: Path) -> Callable[..., Any]:
    file, _, func_name = spec_path.rpartition(":")
    path = Path(file).expanduser()
    if not path.is_absolute():
        path = base_dir / path
    names = reward_functions_in(path)  # not found / syntax errors, without running the file
    module_name = f"rl_studio_user_rewards_{abs(hash(str(path.resolve())))}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as e:  # noqa: BLE001 - the user's module failed on import
        raise StudioError(f"reward file {path} failed to import: {type(e).__name__}: {e}") from None
    func = getattr(module, func_name, None)
    if func is None or not callable(func):
        listed = ", ".join(names) or "none"
        raise StudioError(f"reward file {path} has no function {func_name!r}; functions in it: {listed}")
    return func


def check_signature(func: Callable[..., Any], name: str, columns: list[str]) -> None:
    """TRL calls rewards with keywords only: the function must take them (or **kwargs)."""
    target = func.__call__ if not inspect.isfunction(func) and not inspect.ismethod(func) else func
    try:
        sig = inspect.signature(target)
    except (TypeError, ValueError):
        return
    params = sig.parameters.values()
    if any(p.kind is p.VAR_KEYWORD for p in params):
        accepted = None
    else:
        accepted = {p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    required = [
        p.name
        for p in params
        if p.default is p.empty and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    ]
    passed = set(TRL_KWARGS) | set(columns)
    missing = [r for r in required if r not in passed]
    if missing:
        raise StudioError(
            f"reward {name!r} requires {missing[0]!r}, which GRPOTrainer does not pass; it passes "
            f"prompts, completions, completion_ids, trainer_state and the columns {', '.join(columns)}"
        )
    if accepted is not None:
        raise StudioError(
            f"reward {name!r} must accept **kwargs: GRPOTrainer calls it with prompts, completions, "
            f"completion_ids, trainer_state and every dataset column ({', '.join(columns)}); "
            f"define it as def {name}(completions, **kwargs)"
        )


def _trl_reward(name: str) -> Callable[..., Any]:
    attr = name.split(".", 2)[-1] if name.startswith("trl.rewards.") else name.split(":", 1)[1]
    try:
        import trl.rewards as trl_rewards

        func = getattr(trl_rewards, attr)
    except (ImportError, AttributeError):
        raise StudioError(
            f"unknown reward {name!r}; TRL's rewards are accuracy_reward, reasoning_accuracy_reward, "
            "think_format_reward, get_repetition_penalty_reward, get_cosine_scaled_reward"
        ) from None
    if attr.startswith("get_"):
        try:
            func = func()
        except TypeError as e:
            raise StudioError(f"reward {name!r} needs arguments ({e}); wrap it in a reward file instead") from None
    return func


def resolve_one(spec: RewardSpec, cfg: RunConfig, columns: list[str]) -> Reward:
    if spec.path:
        func = load_user_function(spec.path, cfg.base_dir)
        name = spec.path.rsplit(":", 1)[1]
        origin = spec.path
    elif spec.name in BUILTINS:
        name = origin = spec.name
        if spec.name == "correctness":
            func = make_correctness(cfg.dataset.answer_column)
            if (cfg.dataset.answer_column or "answer") not in columns:
                raise StudioError(
                    f"the correctness reward needs the reference answers: set dataset.answer_column to one of "
                    f"{', '.join(columns)}"
                )
        elif spec.name == "think_format":
            func = think_format
        elif spec.name == "boxed_format":
            func = boxed_format
        else:
            func = make_overlong(int(cfg.grpo.get("max_completion_length", 256)))
    elif spec.name and (spec.name.startswith("trl.rewards.") or spec.name.startswith("trl:")):
        func = _trl_reward(spec.name)
        name = getattr(func, "__name__", spec.name.rsplit(".", 1)[-1])
        origin = spec.name
    else:
        raise StudioError(
            f"unknown reward {spec.name!r}; built-ins: {', '.join(BUILTINS)}; TRL's: trl.rewards.NAME; "
            "your own: path = \"FILE.py:FUNCTION\""
        )
    check_signature(func, name, columns)
    return Reward(name=name, func=func, weight=spec.weight, origin=origin)


def resolve_rewards(cfg: RunConfig, columns: list[str]) -> list[Reward]:
    """Every configured reward, checked; names are made unique for TRL's metric keys."""
    rewards = [resolve_one(s, cfg, columns) for s in cfg.rewards]
    seen: dict[str, int] = {}
    for r in rewards:
        n = seen.get(r.name, 0)
        seen[r.name] = n + 1
        if n:
            r.name = f"{r.name}_{n + 1}"
    return rewards

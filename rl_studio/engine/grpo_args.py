"""Build TRL's GRPOConfig from a run config; GRPOConfig itself validates the [grpo] table (UI-free core)."""

from __future__ import annotations

import dataclasses
import warnings
from pathlib import Path
from typing import Any

from rl_studio.errors import StudioError

# Set by the studio from other sections; a [grpo] entry for these would be silently overridden otherwise.
MANAGED = {"output_dir", "reward_weights", "seed", "save_steps", "save_total_limit", "report_to", "disable_tqdm"}
CPU_DEFAULTS = {"use_cpu": True, "bf16": False, "fp16": False}


def grpo_kwargs(cfg, run_dir: Path, *, cuda: bool, bf16: bool) -> dict[str, Any]:
    clash = sorted(MANAGED & set(cfg.grpo))
    if clash:
        raise StudioError(
            f"grpo.{clash[0]} is set by rl-studio; use run.save_steps, run.seed, run.output_dir "
            "or the weight of each [[rewards]] entry instead"
        )
    kw: dict[str, Any] = {
        "output_dir": str(run_dir / "checkpoints"),
        "logging_steps": 1,
        "save_strategy": "steps",
        "save_steps": cfg.run.save_steps,
        "save_total_limit": cfg.run.save_total_limit,
        "seed": cfg.run.seed,
        "report_to": "none",
        "disable_tqdm": True,
        "reward_weights": [r.weight for r in cfg.rewards],
        "log_completions": False,
    }
    if cuda:
        kw.update({"bf16": bf16, "fp16": False})
    else:
        kw.update(CPU_DEFAULTS)
    kw.update(cfg.grpo)
    return kw


def _suggest(kw: dict[str, Any], num_processes: int) -> str:
    g = int(kw.get("num_generations") or 8)
    bs = int(kw.get("per_device_train_batch_size") or 8)
    spg = kw.get("steps_per_generation") or kw.get("gradient_accumulation_steps") or 1
    if g < 2:
        return "set grpo.num_generations to 2 or more"
    fits = [b for b in range(1, 65) if (b * num_processes * int(spg)) % g == 0]
    return (
        f"with num_generations = {g}, per_device_train_batch_size x processes x steps_per_generation "
        f"must be a multiple of {g}: e.g. grpo.per_device_train_batch_size = {fits[0] if fits else g}"
        + (f" or {fits[1]}" if len(fits) > 1 else "")
        + f", or grpo.num_generations = a divisor of {bs * num_processes * int(spg)} (at least 2)"
    )


def make_grpo_config(cfg, run_dir: Path, *, cuda: bool, bf16: bool, num_processes: int = 1):
    """GRPOConfig for this run, or one StudioError line naming the field and values that would work."""
    from trl import GRPOConfig

    kw = grpo_kwargs(cfg, run_dir, cuda=cuda, bf16=bf16)
    known = {f.name for f in dataclasses.fields(GRPOConfig)}
    unknown = sorted(set(cfg.grpo) - known)
    if unknown:
        import difflib

        close = difflib.get_close_matches(unknown[0], known, n=1)
        hint = f"; did you mean grpo.{close[0]}?" if close else "; see `rl-studio fields` for GRPOConfig's fields"
        raise StudioError(f"grpo.{unknown[0]} is not a GRPOConfig field{hint}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return GRPOConfig(**kw)
    except (ValueError, TypeError) as e:
        msg = " ".join(str(e).split())
        if "divisible" in msg or "num_generations" in msg:
            raise StudioError(f"GRPOConfig: {msg[:300]} -> {_suggest(kw, num_processes)}") from None
        raise StudioError(f"GRPOConfig rejected [grpo]: {msg[:400]}") from None


def grpo_fields() -> list[dict[str, Any]]:
    """GRPOConfig's own fields with their help text (for the wizard's 'all settings' view)."""
    from trl import GRPOConfig

    out = []
    for f in dataclasses.fields(GRPOConfig):
        default = f.default if f.default is not dataclasses.MISSING else None
        if f.default_factory is not dataclasses.MISSING:  # type: ignore[misc]
            try:
                default = f.default_factory()  # type: ignore[misc]
            except Exception:  # noqa: BLE001
                default = None
        if not isinstance(default, str | int | float | bool | type(None) | list | dict):
            default = str(default)
        out.append({"name": f.name, "type": str(f.type), "default": default, "help": f.metadata.get("help", "")})
    return out

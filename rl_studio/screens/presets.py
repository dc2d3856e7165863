"""Algorithm presets for the Training step: the GRPOConfig fields each one sets (UI-free)."""

from __future__ import annotations

# Keys every preset may set; choosing a preset first removes these, then applies its own.
PRESET_KEYS = ("loss_type", "beta", "scale_rewards", "epsilon", "epsilon_high", "mask_truncated_completions",
               "importance_sampling_level")

PRESETS: dict[str, dict[str, object]] = {
    "GRPO": {"loss_type": "grpo"},
    "Dr.GRPO": {"loss_type": "dr_grpo", "scale_rewards": "none"},
    "DAPO": {"loss_type": "dapo", "epsilon_high": 0.28, "beta": 0.0, "mask_truncated_completions": True},
    "BNPO": {"loss_type": "bnpo"},
    "GSPO": {"loss_type": "grpo", "importance_sampling_level": "sequence", "beta": 0.0, "epsilon": 3e-4,
             "epsilon_high": 4e-4},
}

PRESET_HELP = {
    "GRPO": "the original: per-sequence length normalisation, std-scaled advantages",
    "Dr.GRPO": "no length or std bias: constant normaliser, unscaled advantages",
    "DAPO": "token-level loss, clip-higher, no KL, truncated completions masked",
    "BNPO": "batch-normalised token loss",
    "GSPO": "sequence-level importance ratios (Qwen3), small clip range, no KL",
}

# The knobs shown up front, with their defaults when the config leaves them out.
MAIN_KNOBS: dict[str, object] = {
    "num_generations": 8,
    "max_completion_length": 256,
    "learning_rate": 5e-6,
    "beta": 0.0,
    "temperature": 1.0,
    "max_steps": 200,
}


def apply_preset(grpo: dict[str, object], name: str) -> dict[str, object]:
    """A copy of `grpo` with the preset's fields set and other presets' fields removed."""
    out = {k: v for k, v in grpo.items() if k not in PRESET_KEYS}
    out.update(PRESETS[name])
    return out


def detect_preset(grpo: dict[str, object]) -> str | None:
    """The preset whose fields `grpo` matches exactly, if any."""
    have = {k: grpo[k] for k in PRESET_KEYS if k in grpo}
    for name, fields in PRESETS.items():
        if have == fields:
            return name
    return None

"""The wizard's steps in order: Model, LoRA, Dataset, Rewards, Training, Review."""

from __future__ import annotations

from pathlib import Path

from textual.screen import Screen

from rl_studio.config import RunConfig
from rl_studio.screens.presets import apply_preset
from rl_studio.screens.wizard_step import WizardState

STEP_NAMES = ("Model", "LoRA", "Dataset", "Rewards", "Training", "Review")


def step_screen(step: int, state: WizardState) -> Screen:
    from rl_studio.screens.wizard_dataset import DatasetStep
    from rl_studio.screens.wizard_lora import LoraStep
    from rl_studio.screens.wizard_model import ModelStep
    from rl_studio.screens.wizard_review import ReviewStep
    from rl_studio.screens.wizard_rewards import RewardsStep
    from rl_studio.screens.wizard_training import TrainingStep

    steps = (ModelStep, LoraStep, DatasetStep, RewardsStep, TrainingStep, ReviewStep)
    return steps[min(max(step, 1), len(steps)) - 1](state)


def first_step(output_dir: Path, cfg: RunConfig | None = None) -> Screen:
    """The Model step of a new draft (Dr.GRPO preset, as `rl-studio init` defaults to) or of `cfg`."""
    if cfg is None:
        cfg = RunConfig(base_dir=Path.cwd())
        cfg.grpo = apply_preset({}, "Dr.GRPO")
    cfg.run.output_dir = str(output_dir)
    return step_screen(1, WizardState(cfg))

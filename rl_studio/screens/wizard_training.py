"""Wizard step 5: algorithm preset, the main GRPO knobs, run name; ctrl+o opens every GRPOConfig field."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.validation import Function
from textual.widgets import Input, RadioSet, Static

from rl_studio.config import RunSection, field_help
from rl_studio.screens.presets import MAIN_KNOBS, PRESET_HELP, PRESETS, apply_preset, detect_preset
from rl_studio.screens.ticks import TickRadio
from rl_studio.screens.wizard_fields import Field, integer, number, required
from rl_studio.screens.wizard_step import StepScreen

RUN_HELP = field_help(RunSection)
KNOB_HELP = {
    "num_generations": "completions sampled per prompt (the group); the advantage compares them",
    "max_completion_length": "longest completion, in tokens",
    "learning_rate": "AdamW learning rate (LoRA GRPO: 1e-6 to 1e-5; tiny models more)",
    "beta": "KL penalty to the reference model; 0 skips the reference model",
    "temperature": "sampling temperature for generation",
    "max_steps": "optimizer steps to train",
}
KNOB_RULES = {
    "num_generations": integer(2),
    "max_completion_length": integer(1),
    "learning_rate": number(above=0.0),
    "beta": number(0.0),
    "temperature": number(above=0.0),
    "max_steps": integer(1),
}
PLAIN_NAME = [Function(lambda v: "/" not in v and not v.startswith("."), "a plain folder name: no / and no leading .")]


class TrainingStep(StepScreen):
    STEP = 5
    TITLE = "Training"
    HINT = "ctrl+o all settings"
    BINDINGS = [Binding("ctrl+o", "all_settings", "All settings", id="training.all", priority=True)]

    def body(self) -> ComposeResult:
        grpo = self.cfg.grpo
        preset = detect_preset(grpo)
        yield Static("Algorithm preset (sets the matching GRPOConfig fields)", classes="field-label")
        with RadioSet(id="preset", compact=True):
            for name in PRESETS:
                yield TickRadio(f"{name}: {PRESET_HELP[name]}", value=name == preset)
        yield Static(f"preset fields: {self.preset_fields()}", id="preset-fields", markup=False)
        for key, default in MAIN_KNOBS.items():
            yield Field(key, Input(str(grpo.get(key, default)), id=f"knob-{key}", validators=KNOB_RULES[key]),
                        KNOB_HELP[key])
        yield Field("Run name", Input(self.cfg.run.name, id="run-name", validators=required("run name") + PLAIN_NAME),
                    f"the run goes to {self.cfg.run.output_dir}/NAME")
        yield Field("Save every N steps", Input(str(self.cfg.run.save_steps), id="save-steps", validators=integer(1)),
                    RUN_HELP["save_steps"])

    def preset_fields(self) -> str:
        keys = [k for k in ("loss_type", "scale_rewards", "epsilon", "epsilon_high", "importance_sampling_level",
                            "mask_truncated_completions") if k in self.cfg.grpo]
        return ", ".join(f"{k}={self.cfg.grpo[k]}" for k in keys) or "TRL defaults"

    def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        name = list(PRESETS)[event.index]
        self.cfg.grpo = apply_preset(self.cfg.grpo, name)
        if "beta" in PRESETS[name]:
            self.query_one("#knob-beta", Input).value = str(PRESETS[name]["beta"])
        self.query_one("#preset-fields", Static).update(f"preset fields: {self.preset_fields()}")

    def action_all_settings(self) -> None:
        if self.errors():
            self.notify("fix the marked fields first", severity="error", markup=False)
            return
        self.apply()
        from rl_studio.screens.all_settings import AllSettingsScreen

        self.app.push_screen(AllSettingsScreen(self.cfg), lambda _: self.reload_knobs())

    def reload_knobs(self) -> None:
        for key, default in MAIN_KNOBS.items():
            self.query_one(f"#knob-{key}", Input).value = str(self.cfg.grpo.get(key, default))
        self.query_one("#preset-fields", Static).update(f"preset fields: {self.preset_fields()}")

    def apply(self) -> None:
        for key, default in MAIN_KNOBS.items():
            raw = self.query_one(f"#knob-{key}", Input).value.strip()
            self.cfg.grpo[key] = type(default)(float(raw)) if isinstance(default, int) else float(raw)
        self.cfg.run.name = self.query_one("#run-name", Input).value.strip()
        self.cfg.run.save_steps = int(self.query_one("#save-steps", Input).value)

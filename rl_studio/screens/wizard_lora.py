"""Wizard step 2: LoRA rank (presets or custom), alpha, dropout, target modules; trainable parameters."""

from __future__ import annotations

import copy

from textual import work
from textual.app import ComposeResult
from textual.containers import Grid
from textual.widgets import Input, RadioSet, Static

from rl_studio.config import LoraSection, field_help
from rl_studio.errors import StudioError
from rl_studio.screens.thread_calls import ui_call
from rl_studio.screens.ticks import TickBox, TickRadio
from rl_studio.screens.wizard_fields import Field, field_of, integer, number
from rl_studio.screens.wizard_step import StepScreen

HELP = field_help(LoraSection)
RANKS = (8, 16, 32, 64, 128)
MODULES = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


class LoraStep(StepScreen):
    STEP = 2
    TITLE = "LoRA"

    def body(self) -> ComposeResult:
        lo = self.cfg.lora
        yield TickBox("Train a LoRA adapter (off: full fine-tuning)", lo.enabled, id="lora-on", compact=True)
        with RadioSet(id="rank", compact=True):
            for r in RANKS:
                yield TickRadio(f"rank {r}", value=lo.r == r)
            yield TickRadio("custom", value=lo.r not in RANKS)
        yield Field("Custom rank", Input(str(lo.r), id="rank-custom", validators=integer(1),
                                         disabled=lo.r in RANKS), "used when 'custom' is chosen")
        yield Field("Alpha", Input(str(lo.alpha), id="alpha", validators=integer(1)), HELP["alpha"])
        yield Field("Dropout", Input(str(lo.dropout), id="dropout", validators=number(0.0, 0.9)), HELP["dropout"])
        yield Static("Target modules (space ticks)", classes="field-label")
        with Grid(id="modules"):
            for m in MODULES:
                yield TickBox(m, m in lo.target_modules, id=f"mod-{m}", compact=True)
        yield Static("trainable parameters: working…", id="lora-estimate", markup=False)

    def on_mount(self) -> None:
        self.refresh_probe()

    def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        custom = event.index == len(RANKS)
        box = self.query_one("#rank-custom", Input)
        box.disabled = not custom
        if not custom:
            box.value = str(RANKS[event.index])
        self.draft_changed()

    def modules(self) -> list[str]:
        return [m for m in MODULES if self.query_one(f"#mod-{m}", TickBox).value]

    def refresh_probe(self) -> None:
        if self.errors():
            return
        self.apply()
        self.run_estimate(copy.deepcopy(self.cfg))

    @work(thread=True, exclusive=True, group="estimate")
    def run_estimate(self, cfg) -> None:
        try:
            info = self.app.services.model_info(cfg)
            n = info.get("trainable_params")
            text = f"trainable parameters: {n:,}" if n else "trainable parameters: unknown"
            if info.get("params") and n:
                text += f" ({n / info['params']:.2%} of {info['params']:,})"
        except (StudioError, ImportError) as e:
            text = f"trainable parameters: ✗ {e}"
        ui_call(self, lambda: self.query_one("#lora-estimate", Static).update(text))

    def errors(self):
        bad = super().errors()
        if not self.modules() and self.query_one("#lora-on", TickBox).value:
            field = field_of(self.query_one("#alpha"))
            bad.append((field, "tick at least one target module"))
        return bad

    def apply(self) -> None:
        lo = self.cfg.lora
        lo.enabled = self.query_one("#lora-on", TickBox).value
        radio = self.query_one("#rank", RadioSet)
        idx = radio.pressed_index
        lo.r = RANKS[idx] if 0 <= idx < len(RANKS) else int(self.query_one("#rank-custom", Input).value)
        lo.alpha = int(self.query_one("#alpha", Input).value)
        lo.dropout = float(self.query_one("#dropout", Input).value)
        lo.target_modules = self.modules()

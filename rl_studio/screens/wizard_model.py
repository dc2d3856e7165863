"""Wizard step 1: the model, engine, 4-bit, sequence length, fast generation; size and memory estimate."""

from __future__ import annotations

import copy

from textual import work
from textual.app import ComposeResult
from textual.widgets import Input, OptionList, Select, Static

from rl_studio.config import ENGINES, field_help
from rl_studio.config import ModelSection as M
from rl_studio.errors import StudioError
from rl_studio.screens.thread_calls import ui_call
from rl_studio.screens.ticks import TickBox
from rl_studio.screens.wizard_fields import Field, ModelName, integer
from rl_studio.screens.wizard_step import StepScreen

HELP = field_help(M)


def estimate_text(info: dict | None, gpus: list[dict], error: str | None = None) -> str:
    """One line: parameters, estimated GPU memory, and the card's free memory."""
    if error:
        return f"estimate: ✗ {error}"
    parts = []
    if info:
        n = info.get("params")
        if n:
            parts.append(f"{n / 1e6:,.0f}M parameters" if n >= 10**7 else f"{n:,} parameters")
        if info.get("est_gpu_gib") is not None:
            parts.append(f"needs about {info['est_gpu_gib']:.1f} GiB")
    if gpus:
        g = gpus[0]
        free = (g["mem_total_mib"] - g["mem_used_mib"]) / 1024
        parts.append(f"{g['name']} has {free:.1f} GiB free")
        if info and info.get("est_gpu_gib") is not None and info["est_gpu_gib"] > free:
            parts.append("DOES NOT FIT: turn on 4-bit or lower max_seq_length")
    else:
        parts.append("no NVIDIA GPU here: runs on the CPU with engine trl")
    return "estimate: " + ", ".join(parts) if parts else "estimate: -"


class ModelStep(StepScreen):
    STEP = 1
    TITLE = "Model"

    def body(self) -> ComposeResult:
        m = self.cfg.model
        yield Static("Pick a model (enter), or type a hub id or path below.", classes="field-label")
        yield OptionList(m.name, id="model-list", compact=True)
        yield Field("Model", Input(m.name, id="model-name", validators=[ModelName()]), HELP["name"])
        yield Field("Engine", Select([(e, e) for e in ENGINES], value=m.engine, allow_blank=False, id="engine"),
                    HELP["engine"])
        yield Field("Max sequence length", Input(str(m.max_seq_length), id="max-seq", validators=integer(16)),
                    HELP["max_seq_length"])
        yield TickBox("Load in 4-bit (QLoRA, GPU only)", m.load_in_4bit, id="four-bit", compact=True)
        yield TickBox("Fast generation (vLLM-class, where available)", m.fast_inference, id="fast", compact=True)
        yield Static("estimate: working…", id="model-estimate", markup=False)

    def on_mount(self) -> None:
        self.load_models()
        self.refresh_probe()

    @work(thread=True, exclusive=True, group="models")
    def load_models(self) -> None:
        names = self.app.services.cached_models()
        ui_call(self, lambda: self._show_models(names))

    def _show_models(self, names: list[str]) -> None:
        opts = self.query_one("#model-list", OptionList)
        opts.clear_options()
        current = self.cfg.model.name
        names = names if current in names else [current, *names]
        opts.add_options(names)
        opts.highlighted = names.index(current)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        name = str(event.option.prompt)
        self.query_one("#model-name", Input).value = name
        self.query_one("#model-name", Input).focus()

    def refresh_probe(self) -> None:
        if self.errors():
            return
        self.apply()
        self.query_one("#model-estimate", Static).update("estimate: working…")
        self.run_estimate(copy.deepcopy(self.cfg))

    @work(thread=True, exclusive=True, group="estimate")
    def run_estimate(self, cfg) -> None:
        services = self.app.services
        gpus = services.gpu_snapshot()
        try:
            info, error = services.model_info(cfg), None
        except (StudioError, ImportError) as e:
            info, error = None, str(e)
        ui_call(self, lambda: self.query_one("#model-estimate", Static).update(estimate_text(info, gpus, error)))

    def apply(self) -> None:
        m = self.cfg.model
        m.name = self.query_one("#model-name", Input).value.strip()
        m.engine = str(self.query_one("#engine", Select).value)
        m.max_seq_length = int(self.query_one("#max-seq", Input).value)
        m.load_in_4bit = self.query_one("#four-bit", TickBox).value
        m.fast_inference = self.query_one("#fast", TickBox).value

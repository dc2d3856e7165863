"""Wizard step 3: dataset source, column mapping, system prompt, with a live preview of the final prompt."""

from __future__ import annotations

import copy

from textual import work
from textual.app import ComposeResult
from textual.widgets import Input, Select, Static, TextArea

from rl_studio.config import DatasetSection, field_help
from rl_studio.errors import StudioError
from rl_studio.screens.thread_calls import ui_call
from rl_studio.screens.wizard_fields import DatasetSource, Field, field_of, integer, required
from rl_studio.screens.wizard_step import StepScreen

HELP = field_help(DatasetSection)
KINDS = (("built-in", "builtin"), ("local file", "local"), ("Hugging Face Hub", "hub"))
EXAMPLES = {"builtin": "builtin:arithmetic", "local": "./data.jsonl", "hub": "openai/gsm8k"}


def kind_of(source: str) -> str:
    if source.startswith("builtin:"):
        return "builtin"
    if source.startswith(("/", ".", "~")) or source.endswith((".json", ".jsonl", ".csv", ".parquet")):
        return "local"
    return "hub"


def preview_text(preview: dict) -> str:
    """Columns, the first rows (cut short) and the final chat-templated prompt with its token count."""
    lines = [f"columns: {', '.join(preview.get('columns', []))}"]
    for i, row in enumerate(preview.get("rows", [])[:3]):
        cells = "  ".join(f"{k}={' '.join(str(v).split())[:40]}" for k, v in row.items())
        lines.append(f"row {i}: {cells}")
    lines.append(f"final prompt of row 0 ({preview.get('prompt_tokens', '?')} tokens):")
    lines.append(str(preview.get("prompt_text", "")))
    return "\n".join(lines)


class DatasetStep(StepScreen):
    STEP = 3
    TITLE = "Dataset"

    def body(self) -> ComposeResult:
        d = self.cfg.dataset
        yield Field("Kind", Select(KINDS, value=kind_of(d.source), allow_blank=False, id="ds-kind"),
                    "built-in generator, a local .json/.jsonl/.csv/.parquet file, or a Hub dataset id")
        yield Field("Source", Input(d.source, id="ds-source", validators=[DatasetSource()]), HELP["source"])
        yield Field("Split", Input(d.split, id="ds-split", validators=required("split")), HELP["split"])
        yield Field("Prompt column", Input(d.prompt_column, id="ds-prompt", validators=required("prompt column")),
                    HELP["prompt_column"])
        yield Field("Answer column (optional)", Input(d.answer_column or ("answer" if d.source == "builtin:arithmetic" else ""), id="ds-answer"), HELP["answer_column"])
        yield Field("Max samples", Input("" if d.max_samples is None else str(d.max_samples),
                                                      id="ds-max", validators=integer(1)), HELP["max_samples"] + " Empty: all rows.")
        yield Field("System prompt", TextArea(d.system_prompt or "", id="ds-system"), HELP["system_prompt"])
        yield Static("preview: working…", id="ds-preview", classes="preview", markup=False)

    def on_mount(self) -> None:
        self.query_one("#ds-system", TextArea).styles.height = 4
        self.columns: list[str] = []
        self.refresh_probe()

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "ds-kind":
            box = self.query_one("#ds-source", Input)
            if kind_of(box.value) != event.value:
                box.value = EXAMPLES[str(event.value)] if event.value == "builtin" else ""
                box.placeholder = EXAMPLES[str(event.value)]

    def show_validation(self, widget: Input, result) -> None:
        if widget.id == "ds-max" and not widget.value.strip():
            result = None  # empty max samples means all rows
        super().show_validation(widget, result)

    def on_text_area_changed(self) -> None:
        self.draft_changed()

    def errors(self):
        field_of(self.query_one("#ds-answer", Input)).set_error(None)
        bad = [(f, e) for f, e in super().errors() if not (f.widget.id == "ds-max" and not f.widget.value.strip())]
        if self.columns:
            for wid in ("ds-prompt", "ds-answer"):
                box = self.query_one(f"#{wid}", Input)
                if box.value.strip() and box.value.strip() not in self.columns:
                    why = f"no column {box.value.strip()!r}; columns: {', '.join(self.columns)}"
                    field_of(box).set_error(why)
                    bad.append((field_of(box), why))
        return bad

    def refresh_probe(self) -> None:
        self.columns = []
        if super().errors():
            self.query_one("#ds-preview", Static).update("preview: fix the marked fields first")
            return
        self.apply()
        self.query_one("#ds-preview", Static).update("preview: working…")
        self.run_preview(copy.deepcopy(self.cfg))

    @work(thread=True, exclusive=True, group="preview")
    def run_preview(self, cfg) -> None:
        try:
            result = self.app.services.preview_dataset(cfg, n=3)
        except (StudioError, ImportError) as e:
            msg = f"preview: ✗ {e}"
            ui_call(self, lambda: self.query_one("#ds-preview", Static).update(msg))
            return
        ui_call(self, lambda: self._show_preview(result))

    def _show_preview(self, result: dict) -> None:
        self.columns = list(result.get("columns", []))
        self.query_one("#ds-preview", Static).update(preview_text(result))
        self.errors()

    def apply(self) -> None:
        d = self.cfg.dataset
        d.source = self.query_one("#ds-source", Input).value.strip()
        d.split = self.query_one("#ds-split", Input).value.strip()
        d.prompt_column = self.query_one("#ds-prompt", Input).value.strip()
        d.answer_column = self.query_one("#ds-answer", Input).value.strip() or None
        raw = self.query_one("#ds-max", Input).value.strip()
        d.max_samples = int(raw) if raw else None
        d.system_prompt = self.query_one("#ds-system", TextArea).text.strip() or None

"""Form pieces for the wizard: a labelled field with its reason shown in words, and input validators."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.validation import Function, Integer, Number, ValidationResult, Validator
from textual.widget import Widget
from textual.widgets import Label, Static


class Field(Vertical):
    """Label, the input widget, then a note line: help text, or '✗ reason' when the value is bad."""

    DEFAULT_CLASSES = "field"

    def __init__(self, label: str, widget: Widget, help: str = "", **kwargs) -> None:
        super().__init__(**kwargs)
        self.label, self.widget, self.help = label, widget, help
        self.error: str | None = None
        if hasattr(widget, "compact"):
            widget.compact = True  # one row per field keeps a step readable at 80x24

    def compose(self) -> ComposeResult:
        with Horizontal(classes="field-row"):
            yield Label(self.label, classes="field-label")
            yield self.widget
        yield Static(self.help, classes="field-note", markup=False)

    def on_descendant_focus(self) -> None:
        self.add_class("-editing")

    def on_descendant_blur(self) -> None:
        self.remove_class("-editing")

    def set_error(self, error: str | None) -> None:
        self.error = error
        note = self.query_one(".field-note", Static)
        note.set_class(bool(error), "-error")
        note.update(f"✗ {error}" if error else self.help)


def field_of(widget: Widget) -> Field:
    """The Field a widget sits in."""
    return widget.query_ancestor(Field)


def integer(minimum: int | None = None, maximum: int | None = None) -> list[Validator]:
    lo = "" if minimum is None else f" ≥ {minimum}"
    hi = "" if maximum is None else f" ≤ {maximum}"
    return [Integer(minimum=minimum, maximum=maximum, failure_description=f"must be a whole number{lo}{hi}")]


def number(minimum: float | None = None, maximum: float | None = None, above: float | None = None) -> list[Validator]:
    rules: list[Validator] = [Number(minimum=minimum, maximum=maximum,
                                     failure_description=_range_text(minimum, maximum))]
    if above is not None:
        rules.append(Function(lambda v: _is_float(v) and float(v) > above, f"must be greater than {above:g}"))
    return rules


def _range_text(minimum: float | None, maximum: float | None) -> str:
    if minimum is not None and maximum is not None:
        return f"must be a number from {minimum:g} to {maximum:g}"
    if minimum is not None:
        return f"must be a number ≥ {minimum:g}"
    return "must be a number (such as 5e-6)"


def _is_float(v: str) -> bool:
    try:
        float(v)
    except ValueError:
        return False
    return True


def required(what: str) -> list[Validator]:
    return [Function(lambda v: bool(v.strip()), f"{what} is required")]


class ModelName(Validator):
    """A hub id, builtin:NAME, or a local path that exists."""

    def validate(self, value: str) -> ValidationResult:
        v = value.strip()
        if not v:
            return self.failure("a model is required: pick one above or type a hub id or path")
        if v.startswith(("/", ".", "~")) or v.endswith(".gguf"):
            if not Path(v).expanduser().exists():
                return self.failure(f"no such file or folder: {v}")
        elif not v.startswith("builtin:") and v.count("/") != 1:
            return self.failure("a hub id looks like org/name (or give a local path starting with ./ or /)")
        return self.success()


class DatasetSource(Validator):
    def validate(self, value: str) -> ValidationResult:
        v = value.strip()
        if not v:
            return self.failure("a dataset is required")
        if v.endswith((".json", ".jsonl", ".csv", ".parquet")) or v.startswith(("/", ".", "~")):
            if not Path(v).expanduser().is_file():
                return self.failure(f"no such file: {v}")
        return self.success()

"""Every GRPOConfig field, generated from GRPOConfig's own fields and help text (through a probe)."""

from __future__ import annotations

import re
import tomllib
from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Static

from rl_studio.config import RunConfig
from rl_studio.errors import StudioError
from rl_studio.screens.cells import cells
from rl_studio.screens.dialogs import TextPrompt
from rl_studio.screens.thread_calls import ui_call


def parse_value(raw: str) -> Any:
    """A TOML literal (5e-6, true, "text", [1, 2]); anything else is taken as a string."""
    try:
        return tomllib.loads(f"v = {raw.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        return raw.strip()


def shown(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "-" if value is None else str(value)


class AllSettingsScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "close", "Back", id="settings.back"),
        Binding("enter", "edit", "Edit", id="settings.edit", show=False),
        Binding("delete", "reset", "Reset to default", id="settings.reset"),
        Binding("slash", "filter", "Filter", id="settings.filter"),
    ]

    def __init__(self, cfg: RunConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.title = "All GRPOConfig settings"
        self.all_fields: list[dict[str, Any]] = []
        self.matching: list[dict[str, Any]] = []

    def compose(self) -> ComposeResult:
        yield Static("All GRPOConfig settings: enter edits, delete resets, / filters, escape returns", classes="bar")
        yield Input(placeholder="filter by name or help text", id="settings-filter")
        yield DataTable(cursor_type="row", id="settings-table")
        yield Static("loading GRPOConfig's fields…", id="settings-help", classes="preview", markup=False)
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one(DataTable).add_columns("field", "value", "default", "set")
        self.load()

    @work(thread=True, exclusive=True)
    def load(self) -> None:
        try:
            fields = self.app.services.grpo_fields()
        except (StudioError, ImportError) as e:
            msg = f"✗ {e}"
            ui_call(self, lambda: self.query_one("#settings-help", Static).update(msg))
            return
        ui_call(self, lambda: self.show_fields(fields))

    def show_fields(self, fields: list[dict[str, Any]]) -> None:
        self.all_fields = fields
        self.refilter()
        self.query_one(DataTable).focus()

    def refilter(self) -> None:
        needle = self.query_one("#settings-filter", Input).value.strip().lower()
        self.matching = [f for f in self.all_fields if needle in f["name"].lower() or needle in f.get("help", "").lower()]
        table = self.query_one(DataTable)
        row = table.cursor_row
        table.clear()
        for f in self.matching:
            name = f["name"]
            value = self.cfg.grpo.get(name, f.get("default"))
            table.add_row(*cells(name, shown(value)[:30], shown(f.get("default"))[:20], "SET" if name in self.cfg.grpo else ""))
        if self.matching:
            table.move_cursor(row=min(row, len(self.matching) - 1))

    def on_input_changed(self, event: Input.Changed) -> None:
        self.refilter()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.query_one(DataTable).focus()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if 0 <= event.cursor_row < len(self.matching):
            f = self.matching[event.cursor_row]
            kind = re.sub(r"<class '([\w.]+)'>", r"\1", str(f.get("type", "")))
            self.query_one("#settings-help", Static).update(f"{f['name']} ({kind}): {f.get('help', '')}")

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_edit()

    def current(self) -> dict[str, Any] | None:
        row = self.query_one(DataTable).cursor_row
        return self.matching[row] if 0 <= row < len(self.matching) else None

    def action_edit(self) -> None:
        f = self.current()
        if not f:
            return
        name = f["name"]

        def done(raw: str | None) -> None:
            if raw is None:
                return
            value = parse_value(raw)
            if value == f.get("default"):
                self.cfg.grpo.pop(name, None)
            else:
                self.cfg.grpo[name] = value
            self.refilter()

        current = shown(self.cfg.grpo.get(name, f.get("default")))
        self.app.push_screen(TextPrompt(f"{name}: {f.get('help', '')[:200]}", "" if current == "-" else current), done)

    def action_reset(self) -> None:
        f = self.current()
        if f:
            self.cfg.grpo.pop(f["name"], None)
            self.refilter()

    def action_filter(self) -> None:
        self.query_one("#settings-filter", Input).focus()

    def action_close(self) -> None:
        self.dismiss(None)

"""F1: the keys of the screen underneath, as the keymap currently binds them."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Static

from rl_studio.screens.cells import cells
from rl_studio.screens.keymap import keymap_path


def key_rows(screen: Screen) -> list[tuple[str, str, str]]:
    """(key, what it does, binding id) for every binding active on `screen` and its focused widget."""
    rows: dict[str, tuple[str, str, str]] = {}
    for _key, active in screen.active_bindings.items():
        b = active.binding
        if b.system or not (b.description or b.id):
            continue
        label = b.id or b.action
        shown = screen.app.get_key_display(b)
        if label in rows:
            rows[label] = (rows[label][0] + "/" + shown, *rows[label][1:])
        else:
            rows[label] = (shown, b.description or b.action, b.id or "")
    # The studio's own bindings (those with ids) first, then the widgets' generic ones.
    return sorted(rows.values(), key=lambda r: (not r[2], r[2]))


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,f1,q", "app.pop_screen", "Close", id="help.close")]

    def __init__(self, under: Screen) -> None:
        super().__init__()
        self.under = under

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Static(f"Keys: {self.under.title or type(self.under).__name__}", classes="heading", markup=False)
            table = DataTable(cursor_type="row", id="help-keys")
            table.add_columns("key", "action", "binding id")
            for row in key_rows(self.under):
                table.add_row(*cells(*row))
            yield table
            yield Static(f"Change keys in {keymap_path()} (binding id = \"key\"). "
                         "ctrl+p opens every action by name. escape closes.", classes="dim", markup=False)

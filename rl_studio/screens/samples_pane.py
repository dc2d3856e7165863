"""The samples pane: one step's completions with each reward function's score and the advantage."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Static

from rl_studio.screens.cells import cells
from rl_studio.screens.dashboard_text import one_line, printable, score, sorted_samples
from rl_studio.screens.run_model import RunModel

ORDERS = ("best", "worst", "group")


class SamplesPane(Vertical):
    """Follows the latest step until the user steps back with [ (] steps forward, l returns to latest)."""

    BINDINGS = [
        Binding("left_square_bracket", "step(-1)", "Earlier step", id="samples.earlier", show=False),
        Binding("right_square_bracket", "step(1)", "Later step", id="samples.later", show=False),
        Binding("l", "latest", "Latest step", id="samples.latest", show=False),
        Binding("o", "sort", "Sort", id="samples.sort", show=False),
        Binding("enter", "open", "Open", id="samples.open", show=False),
    ]

    class Open(Message):
        """Open sample `index` of `rows` full screen."""

        def __init__(self, rows: list[dict[str, Any]], index: int, step: int, names: list[str]) -> None:
            super().__init__()
            self.rows, self.index, self.step, self.names = rows, index, step, names

    def __init__(self, model: RunModel, **kwargs) -> None:
        super().__init__(**kwargs)
        self.model = model
        self.pinned_step: int | None = None  # None follows the latest step
        self.order = "best"
        self.rows: list[dict[str, Any]] = []
        self.names: list[str] = []
        self.shown: tuple | None = None

    def compose(self) -> ComposeResult:
        yield Static("no samples yet", id="samples-caption", markup=False)
        yield DataTable(cursor_type="row", zebra_stripes=True, id="samples-table")
        yield Static("", id="samples-detail", markup=False)

    @property
    def step(self) -> int | None:
        steps = self.model.sample_steps()
        if not steps:
            return None
        if self.pinned_step is None:
            return steps[-1]
        return self.pinned_step if self.pinned_step in self.model.history.samples else steps[-1]

    def update_view(self, force: bool = False) -> None:
        with self.model.lock:
            step = self.step
            key = (step, self.order, self.model.samples_version if self.pinned_step is None else 0, self.size.width)
            if key == self.shown and not force:
                return
            self.shown = key
            event = self.model.history.samples.get(step) if step is not None else None
            steps = self.model.sample_steps()
        caption = self.query_one("#samples-caption", Static)
        table = self.query_one("#samples-table", DataTable)
        if not event:
            caption.update("no samples yet: completions appear after the first step")
            table.clear(columns=True)
            return
        self.names = list(event.get("reward_names") or [])
        self.rows = sorted_samples(event.get("samples") or [], self.order)
        where = "latest" if self.pinned_step is None else f"{steps.index(step) + 1} of {len(steps)}"
        caption.update(f"step {step} ({where})  {len(self.rows)} completions  sorted {self.order}"
                       "  [ ] step  l latest  o sort  enter open")
        cursor = table.cursor_row
        table.clear(columns=True)
        fixed = ["grp", "total", "adv"] + [n[:10] for n in self.names]
        table.add_columns(*cells(*fixed, "completion"))
        used = sum(max(len(c), 5) + 2 for c in fixed)
        room = max(20, self.size.width - used - 3)
        for s in self.rows:
            scores = [score((s.get("rewards") or {}).get(n)) for n in self.names]
            table.add_row(*cells(s.get("group", ""), score(s.get("total")), score(s.get("advantage")), *scores,
                                 one_line(s.get("completion", ""), room)))
        if self.rows:
            table.move_cursor(row=min(cursor, len(self.rows) - 1))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """The highlighted completion, wrapped, under the table (enter opens it full screen)."""
        if 0 <= event.cursor_row < len(self.rows):
            s = self.rows[event.cursor_row]
            text = f"PROMPT {one_line(s.get('prompt', ''), 400)}\nCOMPLETION\n{printable(s.get('completion', ''))}"
        else:
            text = ""
        self.query_one("#samples-detail", Static).update(text)

    def action_step(self, delta: int) -> None:
        steps = self.model.sample_steps()
        if not steps:
            return
        current = self.step
        i = steps.index(current) + delta
        i = min(max(0, i), len(steps) - 1)
        self.pinned_step = None if i == len(steps) - 1 and delta > 0 else steps[i]
        self.update_view(force=True)

    def action_latest(self) -> None:
        self.pinned_step = None
        self.update_view(force=True)

    def action_sort(self) -> None:
        self.order = ORDERS[(ORDERS.index(self.order) + 1) % len(ORDERS)]
        self.update_view(force=True)

    def action_open(self) -> None:
        if self.rows:
            table = self.query_one(DataTable)
            self.post_message(self.Open(self.rows, table.cursor_row, self.step or 0, self.names))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()

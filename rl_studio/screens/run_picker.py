"""Attach without a run dir: pick one of the runs under the output directory."""

from __future__ import annotations

from pathlib import Path

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from rl_studio.rundir import list_runs
from rl_studio.screens.cells import cells
from rl_studio.screens.thread_calls import ui_call


def run_row(info) -> tuple[str, str, str, str, str]:
    """run, state in words, step/max, last reward, model."""
    last = info.history.last_step
    step = f"{last['step']}/{last['max_steps']}" if last else "-"
    reward = last["metrics"].get("reward") if last else None
    model = str(((info.history.started or {}).get("config") or {}).get("model", {}).get("name", "-"))
    return (info.path.name, info.state.upper(), step, f"{reward:.3f}" if isinstance(reward, int | float) else "-",
            model.rstrip("/").rsplit("/", 1)[-1])


class RunPickerScreen(Screen):
    BINDINGS = [
        Binding("enter", "open", "Attach", id="picker.open"),
        Binding("r", "reload", "Reload", id="picker.reload"),
        Binding("q,escape", "app.quit", "Quit", id="picker.quit"),
    ]

    def __init__(self, output_dir: Path) -> None:
        super().__init__()
        self.output_dir = Path(output_dir)
        self.title = f"Runs in {self.output_dir}"
        self.paths: list[Path] = []

    def compose(self) -> ComposeResult:
        yield Static(f"Runs in {self.output_dir.resolve()}: pick one to attach (enter)", classes="bar", markup=False)
        yield DataTable(cursor_type="row", id="runs")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one(DataTable).add_columns("run", "state", "step", "reward", "model")
        self.action_reload()

    def action_reload(self) -> None:
        self.query_one(DataTable).focus()
        self.load_runs()

    @work(thread=True, exclusive=True)
    def load_runs(self) -> None:
        """Reading each run's events can take a while for long runs: off the UI thread."""
        runs = list_runs(self.output_dir)
        rows = [(r.path, run_row(r)) for r in runs]
        ui_call(self, lambda: self.show_runs(rows))

    def show_runs(self, rows: list) -> None:
        table = self.query_one(DataTable)
        table.clear()
        self.paths = [path for path, _ in rows]
        for _, row in rows:
            table.add_row(*cells(*row))
        if not rows:
            self.notify(f"no runs in {self.output_dir}; start one with rl-studio", severity="warning", markup=False)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def action_open(self) -> None:
        if not self.paths:
            return
        from rl_studio.screens.dashboard import DashboardScreen

        path = self.paths[self.query_one(DataTable).cursor_row]
        self.app.switch_screen(DashboardScreen(path))

"""The end of a run: one key per export, with progress from export events and the path written."""

from __future__ import annotations

import subprocess

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from rl_studio.errors import StudioError
from rl_studio.screens.cells import cells
from rl_studio.screens.dialogs import ConfirmDialog, TextPrompt
from rl_studio.screens.run_model import RunModel
from rl_studio.screens.thread_calls import ui_call

KINDS = {
    "adapter": "LoRA adapter",
    "merged-16bit": "merged model, 16-bit",
    "merged-4bit": "merged model, 4-bit",
    "gguf": "GGUF for llama.cpp / Ollama",
    "push": "push to the Hugging Face Hub",
}


class ExportScreen(Screen):
    BINDINGS = [
        Binding("a", "export('adapter')", "Adapter", id="export.adapter"),
        Binding("m", "export('merged-16bit')", "Merged-16", id="export.merged16"),
        Binding("4", "export('merged-4bit')", "Merged-4", id="export.merged4"),
        Binding("g", "export('gguf')", "GGUF", id="export.gguf"),
        Binding("h", "export('push')", "Hub", id="export.push"),
        Binding("w", "summary", "Summary", id="export.summary"),
        Binding("escape", "app.pop_screen", "Back", id="export.back"),
    ]

    def __init__(self, model: RunModel) -> None:
        super().__init__()
        self.model = model
        self.title = f"Export: {model.name}"
        self.procs: dict[str, subprocess.Popen] = {}
        self.notes: dict[str, str] = {}
        self.summary_path = ""
        self.details: list[str] = []

    def compose(self) -> ComposeResult:
        yield Static(id="export-title", classes="bar", markup=False)
        yield Static("a adapter   m merged 16-bit   4 merged 4-bit   g GGUF   h push to Hub   "
                     "w write summary.md   escape back", id="export-keys")
        yield DataTable(cursor_type="row", id="export-table")
        yield Static(id="export-detail", markup=False)
        yield Static(id="export-summary", markup=False)
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("export", "state", "path / message")
        if self.model.history.finished:
            self.action_summary(quiet=True)
        self.refresh_view()
        self.set_interval(0.5, self.poll_processes)

    def target(self, kind: str):
        return self.model.run_dir / "exports" / kind

    def action_export(self, kind: str) -> None:
        if kind in self.procs and self.procs[kind].poll() is None:
            self.notify(f"{KINDS[kind]} export is already running", markup=False)
            return
        if kind == "push":
            self.app.push_screen(TextPrompt("Push to which Hub repo? (user/name; token from HF_TOKEN or hf auth login)",
                                            placeholder="user/model-name"), self._push)
            return
        self.start(kind, str(self.target(kind)))

    def _push(self, repo: str | None) -> None:
        if repo:
            self.app.push_screen(ConfirmDialog(f"Make {repo} a private repo?"),
                                 lambda private: self.start("push", repo, private=bool(private)))

    def start(self, kind: str, target: str, private: bool = False) -> None:
        try:
            self.procs[kind] = self.app.services.start_export(self.model.run_dir, kind, target, private=private)
        except StudioError as e:
            self.notes[kind] = f"failed: {e}"
            self.notify(str(e), severity="error", markup=False)
        else:
            self.notes[kind] = f"started: {target}"
        self.refresh_view()

    def poll_processes(self) -> None:
        changed = False
        for kind, proc in self.procs.items():
            rc = proc.poll()
            if rc is not None and not self.notes.get(kind, "").startswith(("exit", "failed")):
                if rc != 0 and not self._event_state(kind) == "failed":
                    self.notes[kind] = f"exit {rc}: see {self.model.run_dir / 'engine.log'}"
                    changed = True
        if changed:
            self.refresh_view()

    def _event_state(self, kind: str) -> str | None:
        states = [e for e in self.model.history.exports if e.get("kind") == kind]
        return states[-1].get("state") if states else None

    def refresh_view(self) -> None:
        with self.model.lock:
            exports = list(self.model.history.exports)
            state = self.model.state
        self.query_one("#export-title", Static).update(f"{self.model.name}  {state.upper()}  exports go to "
                                                       f"{self.model.run_dir / 'exports'}")
        latest = {}
        for e in exports:
            latest[e.get("kind")] = e
        table = self.query_one(DataTable)
        row = table.cursor_row
        table.clear()
        self.details = []
        for kind, label in KINDS.items():
            e = latest.get(kind)
            if e:
                detail = e.get("path") if e.get("state") == "done" else e.get("message") or e.get("path") or ""
                state = str(e.get("state")).upper()
            else:
                detail = self.notes.get(kind, "")
                state = "RUNNING" if detail.startswith("started") else "-" if not detail else "ERROR"
            table.add_row(*cells(label, state, detail or "not exported"))
            self.details.append(f"{label}: {state} {detail or 'not exported'}")
        table.move_cursor(row=row)
        self.show_detail(table.cursor_row)
        self.query_one("#export-summary", Static).update(
            f"summary: {self.summary_path}" if self.summary_path else "summary.md: w writes it")

    def show_detail(self, row: int) -> None:
        """The highlighted export's whole message, wrapped (the table cuts long ones)."""
        if 0 <= row < len(self.details):
            self.query_one("#export-detail", Static).update(self.details[row])

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.show_detail(event.cursor_row)

    @work(thread=True, exclusive=True, group="summary")
    def action_summary(self, quiet: bool = False) -> None:
        """Write summary.md from the whole event file (the dashboard keeps only recent step events)."""
        from rl_studio.summary import write_summary

        path = write_summary(self.model.run_dir)
        self.summary_path = str(path)
        if not quiet:
            self.app.call_from_thread(lambda: self.notify(f"wrote {path}", markup=False))
        ui_call(self, self.refresh_view)

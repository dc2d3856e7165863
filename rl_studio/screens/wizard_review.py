"""Wizard step 6: the TOML that will run; save it to a file, start the run and open its dashboard."""

from __future__ import annotations

import copy
from pathlib import Path

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Input, Static, TextArea

from rl_studio.config import from_dict
from rl_studio.errors import StudioError
from rl_studio.screens.thread_calls import ui_call
from rl_studio.screens.wizard_fields import Field, field_of, required
from rl_studio.screens.wizard_step import StepScreen


class ReviewStep(StepScreen):
    STEP = 6
    TITLE = "Review"
    HINT = "ctrl+s save   ctrl+r start the run"
    BINDINGS = [
        Binding("ctrl+s", "save", "Save TOML", id="review.save", priority=True),
        Binding("ctrl+r", "start", "Start run", id="review.start", priority=True),
    ]

    def body(self) -> ComposeResult:
        path = self.state.config_path or Path(f"{self.cfg.run.name}.toml")
        yield Static("", id="review-check", markup=False)
        yield Static("checks: running the same checks as rl-studio train…", id="review-preflight", markup=False)
        yield TextArea(self.cfg.to_toml(), id="review-toml", read_only=True)
        yield Field("Save to", Input(str(path), id="review-path", validators=required("a file name")),
                    "ctrl+s writes the TOML here; rl-studio train FILE runs it later")

    def on_mount(self) -> None:
        self.query_one("#review-toml", TextArea).styles.height = 14
        self.preflight_error: str | None = None
        if self.check() is None:
            self.run_preflight(copy.deepcopy(self.cfg))

    @work(thread=True, exclusive=True, group="preflight")
    def run_preflight(self, cfg) -> None:
        """Model, dataset, columns, rewards and engine, checked in a child process before any GPU time."""
        try:
            self.app.services.preflight(cfg)
        except (StudioError, ImportError) as e:
            msg = str(e)
            ui_call(self, lambda: self._preflight_done(msg))
        else:
            ui_call(self, lambda: self._preflight_done(None))

    def _preflight_done(self, error: str | None) -> None:
        self.preflight_error = error
        self.query_one("#review-preflight", Static).update(
            f"checks: ✗ {error}" if error else "checks: OK (model, dataset, columns, rewards, engine)")

    def check(self) -> str | None:
        """Load the config back as the CLI would; the reason it fails, or None."""
        try:
            from_dict(self.cfg.to_dict(), base_dir=self.cfg.base_dir)
        except StudioError as e:
            self.query_one("#review-check", Static).update(f"✗ {e}")
            return str(e)
        self.query_one("#review-check", Static).update(
            f"OK: the config is valid. The run will go to {Path(self.cfg.run.output_dir) / self.cfg.run.name}.")
        return None

    def action_save(self) -> Path | None:
        if self.errors() or self.check():
            self.notify("fix the problems shown first", severity="error", markup=False)
            return None
        path = Path(self.query_one("#review-path", Input).value.strip()).expanduser()
        try:
            self.cfg.save(path)
        except OSError as e:
            field_of(self.query_one("#review-path", Input)).set_error(f"cannot write: {e.strerror}")
            return None
        self.state.config_path = path
        self.notify(f"saved {path}", markup=False)
        return path

    def action_start(self) -> None:
        if self.check() or self.preflight_error:
            self.notify("fix the problems shown first", severity="error", markup=False)
            return
        try:
            run_dir = self.app.services.start_run(self.cfg)
        except StudioError as e:
            self.query_one("#review-check", Static).update(f"✗ {e}")
            self.notify(str(e), severity="error", timeout=10, markup=False)
            return
        from rl_studio.screens.dashboard import DashboardScreen

        self.app.switch_screen(DashboardScreen(Path(run_dir), just_started=True))

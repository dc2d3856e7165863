"""The dashboard: header, health line, plots, samples and log of one run, live or finished."""

from __future__ import annotations

import time
from collections import deque
from pathlib import Path

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid
from textual.screen import Screen
from textual.widgets import Footer, RichLog, Static, TabbedContent, TabPane
from textual.worker import get_current_worker

from rl_studio import control
from rl_studio.errors import StudioError
from rl_studio.screens.dashboard_text import duration, header_text, log_line
from rl_studio.screens.dialogs import ConfirmDialog, QuitDialog
from rl_studio.screens.follower import follow
from rl_studio.screens.health import assess, health_line
from rl_studio.screens.messages import EngineAlive, RunChanged
from rl_studio.screens.run_model import RunModel

STARTUP_GRACE_S = 60.0  # a run just started counts as alive this long before its pid file shows
PLOT_EVERY_S = 1.0  # plots redraw at most once a second however fast events come
BACKLOG_PLOT_EVERY_S = 3.0  # while a long history loads, plots fill in more rarely so it loads sooner
LOG_LINES = 10_000  # the log keeps this many lines


class DashboardScreen(Screen):
    BINDINGS = [
        Binding("1", "tab('plots')", "Plots", id="dashboard.plots", show=False),
        Binding("2", "tab('samples')", "Samples", id="dashboard.samples", show=False),
        Binding("3", "tab('log')", "Log", id="dashboard.log", show=False),
        Binding("p", "pause", "Pause", id="dashboard.pause"),
        Binding("c", "save", "Save", id="dashboard.save"),
        Binding("x", "stop", "Stop", id="dashboard.stop"),
        Binding("d", "detach", "Detach", id="dashboard.detach"),
        Binding("e", "export", "Export", id="dashboard.export"),
        Binding("r", "resume_run", "Resume run", id="dashboard.resume", show=False),
        Binding("m", "smooth", "Smooth", id="dashboard.smooth"),
        Binding("q", "quit_studio", "Quit", id="dashboard.quit"),
    ]

    def __init__(self, run_dir: Path, follow_events: bool = True, just_started: bool = False) -> None:
        super().__init__()
        self.model = RunModel(run_dir)
        if just_started:  # the engine may not have written its pid yet: count it alive meanwhile
            self.model.alive = True
            self.model.grace_until = time.monotonic() + STARTUP_GRACE_S
        self.title = f"Dashboard: {Path(run_dir).name}"
        self.smooth = False
        self.follow_events = follow_events
        self.plotted_at = 0.0
        self.plot_timer = None
        self.logged = 0
        self.log_texts: deque[str] = deque(maxlen=LOG_LINES)  # what the log holds, to wrap again on resize
        self.log_width = 0
        self.t0: float | None = None
        self.health = ""
        self.health_kinds: tuple[str, ...] = ()
        self.panes_ready = False
        self.backlog_drawn = False

    def compose(self) -> ComposeResult:
        yield Static(id="dash-header", classes="bar", markup=False)
        yield Static("HEALTH waiting for steps", id="dash-health", markup=False)
        with TabbedContent(initial="plots", id="dash-tabs"):
            with TabPane("1 Plots", id="plots"):
                yield Static("plots: loading…", id="plots-loading")
            with TabPane("2 Samples", id="samples"):
                yield Static("samples: loading…", id="samples-loading")
            with TabPane("3 Log", id="log"):
                yield Static("log: loading…", id="log-loading")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.update_header()
        # Paint the header first; the plot library, the plots and the backlog come right after.
        self.call_after_refresh(self.after_first_frame)

    async def after_first_frame(self) -> None:
        from rl_studio.screens.plots import CHARTS, MetricPlot
        from rl_studio.screens.samples_pane import SamplesPane

        grid = Grid(*(MetricPlot(title, lines, id=f"plot-{key}") for key, title, lines in CHARTS), id="plot-grid")
        for placeholder in self.query("#plots-loading, #samples-loading, #log-loading"):
            await placeholder.remove()
        await self.query_one("#plots", TabPane).mount(grid)
        await self.query_one("#samples", TabPane).mount(SamplesPane(self.model, id="samples-pane"))
        log = RichLog(id="dash-log", wrap=True, markup=False, highlight=False, max_lines=LOG_LINES)
        await self.query_one("#log", TabPane).mount(log)
        self.panes_ready = True
        if self.follow_events:
            self.follow_run()

    @work(thread=True, exclusive=True, group="follow")
    def follow_run(self) -> None:
        worker = get_current_worker()
        follow(self.model, self.post_message, lambda: worker.is_cancelled)

    # ---- updates --------------------------------------------------------------------------------
    def on_run_changed(self, message: RunChanged) -> None:
        backlog_done = self.model.loaded and not self.backlog_drawn
        self.backlog_drawn = self.model.loaded
        self.refresh_view(plots_now=backlog_done)
        top = self.app.screen
        if top is not self and hasattr(top, "refresh_view"):
            top.refresh_view()

    def on_engine_alive(self, message: EngineAlive) -> None:
        self.refresh_view()

    def on_screen_resume(self) -> None:
        self.refresh_view(plots_now=True)

    def refresh_view(self, plots_now: bool = False) -> None:
        self.update_log()
        self.update_header()
        if self.panes_ready and self.query_one(TabbedContent).active == "samples":
            self.query_one("#samples-pane").update_view()
        every = PLOT_EVERY_S if self.model.loaded else BACKLOG_PLOT_EVERY_S
        wait = every - (time.monotonic() - self.plotted_at)
        if plots_now or wait <= 0:
            if self.plot_timer is not None:
                self.plot_timer.stop()
            self.draw_plots()
        elif self.plot_timer is None:
            self.plot_timer = self.set_timer(wait, self.draw_plots)

    def update_header(self) -> None:
        with self.model.lock:
            line1, line2 = header_text(self.model)
            findings = assess(self.model.series, self.model.max_completion_length)
        self.query_one("#dash-header", Static).update(f"{line1}\n{line2}")
        finished = self.model.history.finished or {}
        if finished.get("outcome") == "failed":  # the reason a run ended outranks any health sign
            where = f" [{finished['where']}]" if finished.get("where") else ""
            health = f"FAILED: {finished.get('error') or 'see engine.log'}{where}"
        else:
            health = "HEALTH " + health_line(findings)
        if health != self.health:
            self.health = health
            self.query_one("#dash-health", Static).update(health)
        # the log records a change in which signs show, not every wiggle of their numbers
        kinds = tuple(sorted(f.kind for f in findings if f.level != "ok"))
        if kinds != self.health_kinds and self.panes_ready:
            self.health_kinds = kinds
            said = " | ".join(str(f) for f in findings if f.level != "ok") or "no warning signs"
            last = self.model.history.last_step or {}
            when = f"+{duration(float(last.get('time', self.t0 or 0.0)) - (self.t0 or 0.0))}" if last else ""
            self.write_log(f"{when:>8} HEALTH {said}")

    def update_log(self) -> None:
        if not self.panes_ready:
            return
        with self.model.lock:
            entries = self.model.history.log[self.logged :]
            self.logged = len(self.model.history.log)
        if entries:
            if self.t0 is None:  # times count from the first thing the run logged
                self.t0 = float(entries[0].get("time", 0.0))
            for e in entries:
                self.write_log(log_line(e, self.t0))

    def write_log(self, text: str) -> None:
        self.log_texts.append(text)
        # RichLog measures a line against the console's width, not its own: give it the width it was
        # last laid out at while shown (none yet: rewrap_log lays everything out when the tab opens)
        self.query_one(RichLog).write(text, width=self.log_width or None)

    def rewrap_log(self) -> None:
        """A RichLog wraps lines when they are written (at a guessed width while its tab is hidden):
        once it is shown or resized, write them again at its width."""
        if self.query_one(TabbedContent).active != "log":
            return
        log = self.query_one(RichLog)
        width = log.scrollable_content_region.width
        if not width or width == self.log_width:
            return
        self.log_width = width  # later lines are written at it too
        if not self.log_texts:
            return
        log.clear()
        for text in self.log_texts:
            log.write(text, width=width)

    def draw_plots(self) -> None:
        """Start the plot worker for the plots whose data, size or smoothing changed."""
        self.plot_timer = None
        self.plotted_at = time.monotonic()
        if not self.panes_ready or self.query_one(TabbedContent).active != "plots":
            return
        from rl_studio.screens.plots import MetricPlot

        jobs = []
        for plot in self.query(MetricPlot):
            key = plot.wanted_key(self.model.series, self.smooth)
            if key != plot.drawn_key and plot.size.width > 0:
                jobs.append((plot, plot.size.width, plot.size.height, plot.theme_name(), self.smooth))
        if jobs:
            self.build_plots(jobs)

    @work(thread=True, exclusive=True, group="plots")
    def build_plots(self, jobs: list) -> None:
        worker = get_current_worker()
        for plot, width, height, theme, smooth in jobs:
            if worker.is_cancelled:
                return
            with self.model.lock:
                key = (self.model.series.version, width, height, smooth)
                data = plot.collect(self.model.series, smooth)
            text = plot.build(data, width, height, theme)
            self.app.call_from_thread(plot.show, text, key)

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id == "plots":
            self.call_after_refresh(self.draw_plots)
        elif event.pane.id == "log":
            self.call_after_refresh(self.rewrap_log)
        elif event.pane.id == "samples" and self.panes_ready:
            self.query_one("#samples-table").focus()
            self.call_after_refresh(self.query_one("#samples-pane").update_view, True)

    def on_resize(self) -> None:
        self.call_after_refresh(self.draw_plots)
        self.call_after_refresh(self.rewrap_log)

    def on_samples_pane_open(self, message) -> None:
        from rl_studio.screens.sample_screen import SampleScreen

        self.app.push_screen(SampleScreen(message.rows, message.index, message.step, message.names))

    # ---- actions --------------------------------------------------------------------------------
    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab

    def action_smooth(self) -> None:
        self.smooth = not self.smooth
        self.notify("smoothing on" if self.smooth else "smoothing off", markup=False)
        self.draw_plots()

    def _needs_live(self, what: str) -> bool:
        if not self.model.alive:
            self.notify(f"cannot {what}: the run is {self.model.state}", severity="warning", markup=False)
            return False
        return True

    def action_pause(self) -> None:
        if not self._needs_live("pause or resume"):
            return
        command = "resume" if self.model.history.paused else "pause"
        control.send(self.model.run_dir, command)
        self.notify(f"{command} requested: the engine acts at the next step boundary", markup=False)

    def action_save(self) -> None:
        if self._needs_live("save a checkpoint"):
            control.send(self.model.run_dir, "save")
            self.notify("checkpoint requested at the next step boundary", markup=False)

    def action_stop(self) -> None:
        if not self._needs_live("stop"):
            return

        def answered(yes: bool | None) -> None:
            if yes:
                control.send(self.model.run_dir, "stop")
                self.notify("stop requested: the engine saves a checkpoint and ends the run", markup=False)

        self.app.push_screen(ConfirmDialog("Stop the run and save a checkpoint?"), answered)

    def action_detach(self) -> None:
        self.app.exit(0, message=self.detach_message())

    def detach_message(self) -> str:
        if self.model.alive:
            return f"Detached; the run goes on. Attach again with: rl-studio attach {self.model.run_dir}"
        return f"Run {self.model.state}: {self.model.run_dir}"

    def action_quit_studio(self) -> None:
        if not self.model.alive:
            self.app.exit(0, message=self.detach_message())
            return

        def chosen(choice: str | None) -> None:
            if choice == "detach":
                self.action_detach()
            elif choice == "stop":
                control.send(self.model.run_dir, "stop")
                self.app.exit(0, message=f"Stop requested; the engine saves a checkpoint and ends. "
                                         f"Follow it with: rl-studio attach {self.model.run_dir}")

        self.app.push_screen(QuitDialog(), chosen)

    def action_resume_run(self) -> None:
        """Continue a stopped, failed or interrupted run from its newest checkpoint."""
        if self.model.alive or self.model.state == "completed":
            self.notify(f"nothing to resume: the run is {self.model.state}", severity="warning", markup=False)
            return
        try:
            self.app.services.resume_run(self.model.run_dir)
        except StudioError as e:
            self.notify(str(e), severity="error", timeout=10, markup=False)
            return
        self.model.alive = True
        self.model.grace_until = time.monotonic() + STARTUP_GRACE_S
        self.notify("resuming from the newest checkpoint", markup=False)
        self.refresh_view()

    def action_export(self) -> None:
        if self.model.alive and not self.model.history.finished:
            self.notify("export is for a finished run: stop it first (x) or wait for the end", severity="warning", markup=False)
            return
        from rl_studio.screens.export_screen import ExportScreen

        self.app.push_screen(ExportScreen(self.model))

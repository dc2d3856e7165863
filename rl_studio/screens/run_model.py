"""What the dashboard shows of one run: the core's RunHistory plus plot series, behind a lock (UI-free).

The follower thread applies events; the UI thread reads under the same lock. Version counters let
each pane redraw only when its part changed.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from rl_studio.events import RunHistory
from rl_studio.screens.series import SeriesStore

KEEP_STEP_EVENTS = 64  # the series hold every metric; whole step events are kept only for the latest steps
KEEP_SAMPLE_STEPS = 500  # completions kept in memory for stepping back (a long run logs them every step)


class RunModel:
    def __init__(self, run_dir: Path):
        self.run_dir = Path(run_dir)
        self.history = RunHistory()
        self.series = SeriesStore()
        self.lock = threading.RLock()
        self.alive = False
        self.grace_until = 0.0  # until then a missing pid means "still starting", not "gone"
        self.loaded = False  # the backlog has been read once
        self.events_seen = 0
        self.log_version = 0
        self.samples_version = 0
        self.export_version = 0
        self.changed_at = time.monotonic()

    def apply(self, events: list[dict[str, Any]]) -> None:
        """Fold events in; old step events and old samples are dropped so memory stays flat."""
        with self.lock:
            for e in events:
                t = e.get("type")
                self.history.apply(e)
                if t == "step":
                    self.series.add(int(e["step"]), e.get("metrics") or {})
                elif t == "run_resumed":
                    self.series.truncate_after(int(e["from_step"]))
                    self.samples_version += 1
                elif t == "samples":
                    self.samples_version += 1
                elif t == "export":
                    self.export_version += 1
                if t in ("status", "warning", "checkpoint", "control", "run_resumed", "run_finished", "export",
                         "run_started"):
                    self.log_version += 1
            self._prune(self.history.steps, KEEP_STEP_EVENTS)
            self._prune(self.history.samples, KEEP_SAMPLE_STEPS)
            self.events_seen += len(events)
            self.changed_at = time.monotonic()

    @staticmethod
    def _prune(by_step: dict[int, Any], keep: int) -> None:
        if len(by_step) > 2 * keep:
            for step in sorted(by_step)[:-keep]:
                del by_step[step]

    # ---- read helpers (call under the lock) ------------------------------------------------------
    @property
    def config(self) -> dict[str, Any]:
        started = self.history.started or {}
        return started.get("config") or {}

    @property
    def name(self) -> str:
        return (self.config.get("run") or {}).get("name") or self.run_dir.name

    @property
    def max_completion_length(self) -> int | None:
        v = (self.config.get("grpo") or {}).get("max_completion_length")
        return v if isinstance(v, int) else None

    @property
    def state(self) -> str:
        h = self.history
        if h.finished:
            return str(h.finished.get("outcome", "finished"))
        if not self.alive:
            return "interrupted" if h.started else "waiting"
        return "paused" if h.paused else "running"

    def sample_steps(self) -> list[int]:
        return sorted(self.history.samples)

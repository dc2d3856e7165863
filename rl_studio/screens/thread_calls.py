"""Run UI updates from worker threads without crashing when their screen has gone.

A step's worker (an estimate, a preview, a try-out) can finish after the user moved on: its
widgets are then no longer mounted, and a query from the worker would raise in the worker and end
the app. `ui_call` runs the update on the app's thread, and skips it when the screen is gone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.css.query import NoMatches


def ui_call(screen: Any, update: Callable[[], Any]) -> None:
    """Call `update()` on the app's thread if `screen` is still attached; a no-op once it is gone."""

    def run() -> None:
        if not screen.is_attached:
            return
        try:
            update()
        except NoMatches:  # the step was dismissed between the check and the query
            pass

    try:
        screen.app.call_from_thread(run)
    except RuntimeError:  # the app itself has closed
        pass

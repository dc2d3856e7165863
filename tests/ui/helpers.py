"""Helpers for Pilot tests: build the app on a screen, wait for a condition."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from rl_studio.screens.app import StudioApp


def app_on(screen_factory, services=None, keymap=None) -> StudioApp:
    return StudioApp(screen_factory, keymap=keymap or {}, services=services)


async def wait_for(pilot, cond: Callable[[], bool], timeout: float = 10.0) -> None:
    """Pause the pilot until cond() holds (the follower thread runs meanwhile)."""
    end = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > end:
            raise AssertionError("condition not met in time")
        await pilot.pause(0.05)
        await asyncio.sleep(0)

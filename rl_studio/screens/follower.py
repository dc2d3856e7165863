"""The follower: a worker thread that tails events.jsonl into the RunModel and posts RunChanged."""

from __future__ import annotations

import time
from collections.abc import Callable

from textual.message import Message

from rl_studio.events import EventTail
from rl_studio.rundir import engine_pid
from rl_studio.screens.messages import EngineAlive, RunChanged
from rl_studio.screens.run_model import RunModel

POLL_S = 0.1
ALIVE_EVERY_S = 1.0
BACKLOG_CHUNK = 1 << 20  # read a long history in 1 MiB bites: plots fill in early, the lock is held briefly


def follow(model: RunModel, post: Callable[[Message], object], cancelled: Callable[[], bool]) -> None:
    """Read events until cancelled; never blocks the UI (runs in a thread worker)."""
    tail = EventTail(model.run_dir)
    last_alive = 0.0
    while not cancelled():
        now = time.monotonic()
        if now - last_alive >= ALIVE_EVERY_S:
            alive = engine_pid(model.run_dir) is not None
            if alive:
                model.grace_until = 0.0
            elif now < model.grace_until and not model.history.finished:
                alive = True
            if alive != model.alive or last_alive == 0.0:
                model.alive = alive
                post(EngineAlive(alive))
            last_alive = now
        events = tail.read_new(BACKLOG_CHUNK)
        if events:
            model.apply(events)
            post(RunChanged(model.events_seen))
            continue  # more backlog may be waiting
        if not model.loaded:
            model.loaded = True
            post(RunChanged(model.events_seen))
        time.sleep(POLL_S)

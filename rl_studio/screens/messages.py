"""Messages between the follower thread and the screens (toolong-style dataclasses)."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message


@dataclass
class RunChanged(Message):
    """New events were applied to the RunModel. A pending one is replaced by a newer one (coalesced)."""

    events_seen: int = 0

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, RunChanged)


@dataclass
class EngineAlive(Message):
    """The engine process was found alive or gone."""

    alive: bool = False

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, EngineAlive)

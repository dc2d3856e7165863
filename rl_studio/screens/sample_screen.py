"""One completion full screen: prompt, completion, each score, total and advantage."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from rl_studio.screens.dashboard_text import printable, score


class SampleScreen(Screen):
    BINDINGS = [
        Binding("escape,q", "app.pop_screen", "Back", id="sample.back"),
        Binding("n,down", "move(1)", "Next", id="sample.next"),
        Binding("p,up", "move(-1)", "Previous", id="sample.previous"),
    ]

    def __init__(self, rows: list[dict[str, Any]], index: int, step: int, names: list[str]) -> None:
        super().__init__()
        self.rows, self.index, self.step, self.names = rows, index, step, names
        self.title = "Sample"

    def compose(self) -> ComposeResult:
        yield Static(id="sample-title", classes="bar", markup=False)
        with VerticalScroll(id="sample-body"):
            yield Static(id="sample-scores", markup=False)
            yield Static("PROMPT", classes="heading")
            yield Static(id="sample-prompt", markup=False)
            yield Static("COMPLETION", classes="heading")
            yield Static(id="sample-completion", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.show()

    def show(self) -> None:
        s = self.rows[self.index]
        self.query_one("#sample-title", Static).update(
            f"step {self.step}  sample {self.index + 1} of {len(self.rows)}  group {s.get('group')}")
        scores = "  ".join(f"{n} {score((s.get('rewards') or {}).get(n))}" for n in self.names)
        self.query_one("#sample-scores", Static).update(
            f"total {score(s.get('total'))}  advantage {score(s.get('advantage'))}  |  {scores}")
        self.query_one("#sample-prompt", Static).update(printable(s.get("prompt", "")))
        self.query_one("#sample-completion", Static).update(printable(s.get("completion", "")))

    def action_move(self, delta: int) -> None:
        self.index = (self.index + delta) % len(self.rows)
        self.show()

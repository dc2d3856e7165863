"""Small modal dialogs: the quit question, a yes/no confirmation and a one-line text prompt."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static


class QuitDialog(ModalScreen[str | None]):
    """Quitting while a run is alive: detach (it goes on), stop and save, or cancel."""

    BINDINGS = [
        Binding("d", "choose('detach')", "Detach", id="quit.detach"),
        Binding("s", "choose('stop')", "Stop and save", id="quit.stop"),
        Binding("escape,c", "choose(None)", "Cancel", id="quit.cancel"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static("The run is still going. Quit how?", classes="heading")
            yield Static("d  Detach: quit the studio, the run keeps training\n"
                         "   (attach again with rl-studio attach)\n"
                         "s  Stop and save: checkpoint, end the run, quit\n"
                         "c  Cancel: back to the dashboard")

    def action_choose(self, choice: str | None) -> None:
        self.dismiss(choice)


class ConfirmDialog(ModalScreen[bool]):
    BINDINGS = [
        Binding("y", "answer(True)", "Yes", id="confirm.yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm.no"),
    ]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.question, classes="heading", markup=False)
            yield Static("y  yes     n  no")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class TextPrompt(ModalScreen[str | None]):
    """Ask for one line of text; enter accepts, escape cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="prompt.cancel")]

    def __init__(self, question: str, value: str = "", placeholder: str = "") -> None:
        super().__init__()
        self.question, self.value, self.placeholder = question, value, placeholder

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.question, classes="heading", markup=False)
            yield Input(self.value, placeholder=self.placeholder)
            yield Static("enter  accept     escape  cancel")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)

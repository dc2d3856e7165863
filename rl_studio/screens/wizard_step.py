"""The wizard's step screen: title, fields, inline validation, back/next by key."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widgets import Footer, Input, Static

from rl_studio.config import RunConfig
from rl_studio.screens.wizard_fields import Field, field_of


@dataclass
class WizardState:
    """The draft config every step edits, and where the run goes."""

    cfg: RunConfig = field(default_factory=RunConfig)
    config_path: Path | None = None


class StepScreen(Screen):
    """Subclasses set STEP and TITLE, yield their fields from `body()`, and write them in `apply()`."""

    STEP = 0
    TITLE = ""
    HINT = ""
    AUTO_FOCUS = "Input"  # typing goes to the step's first field straight away
    BINDINGS = [
        Binding("ctrl+n", "next", "Next", id="wizard.next", priority=True),
        Binding("escape", "back", "Back", id="wizard.back"),
    ]

    def __init__(self, state: WizardState) -> None:
        super().__init__()
        self.state = state
        self.title = f"Wizard {self.STEP}/6: {self.TITLE}"

    @property
    def cfg(self) -> RunConfig:
        return self.state.cfg

    def compose(self) -> ComposeResult:
        from rl_studio.screens.wizard import STEP_NAMES

        crumbs = "  ".join(f"[{n}]" if i + 1 == self.STEP else n for i, n in enumerate(STEP_NAMES))
        yield Static(f"Step {self.STEP}/6 {self.TITLE}   {crumbs}", classes="step-title", markup=False)
        body = VerticalScroll(classes="step-body")
        body.can_focus = False  # tab moves between fields only
        with body:
            yield from self.body()
        nav = "escape back   ctrl+n next" if self.STEP < 6 else "escape back"
        yield Static(f"{nav}   {self.HINT}".rstrip(), classes="step-nav")
        yield Footer(compact=True, show_command_palette=False)

    def body(self) -> ComposeResult:
        yield from ()

    # ---- validation and live probes -------------------------------------------------------------
    PROBE_DELAY_S = 0.8  # a step's live probe (estimate, preview) runs once typing pauses this long

    def on_input_changed(self, event: Input.Changed) -> None:
        self.show_validation(event.input, event.validation_result)
        self.draft_changed()

    def on_checkbox_changed(self) -> None:
        self.draft_changed()

    def draft_changed(self) -> None:
        """Restart the wait before `refresh_probe` (each change restarts it)."""
        timer = getattr(self, "_probe_timer", None)
        if timer is not None:
            timer.stop()
        self._probe_timer = self.set_timer(self.PROBE_DELAY_S, self.refresh_probe)

    def refresh_probe(self) -> None:
        """Steps with a live probe run it here on a copy of the draft (in a worker thread)."""

    def show_validation(self, widget: Input, result) -> None:
        try:
            parent = field_of(widget)
        except NoMatches:  # an input outside a Field has no note line
            return
        parent.set_error(None if result is None or result.is_valid else result.failure_descriptions[0])

    def errors(self) -> list[tuple[Field, str]]:
        """Every field whose value is bad, with the reason."""
        bad = []
        for f in self.query(Field):
            if isinstance(f.widget, Input) and f.widget.validators and not f.widget.disabled:
                result = f.widget.validate(f.widget.value)
                self.show_validation(f.widget, result)
            if f.error:
                bad.append((f, f.error))
        return bad

    def apply(self) -> None:
        """Write the fields into the draft config (only called when they validate)."""

    # ---- navigation -----------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple) -> bool | None:
        return not (action == "next" and self.STEP == 6)  # the last step starts the run instead

    def action_next(self) -> None:
        bad = self.errors()
        if bad:
            f, why = bad[0]
            f.widget.focus()
            self.notify(f"{f.label}: {why}", severity="error", markup=False)
            return
        self.apply()
        from rl_studio.screens.wizard import step_screen

        self.app.switch_screen(step_screen(self.STEP + 1, self.state))

    def action_back(self) -> None:
        if not self.errors():
            self.apply()
        if self.STEP == 1:
            self.action_quit_studio()
            return
        from rl_studio.screens.wizard import step_screen

        self.app.switch_screen(step_screen(self.STEP - 1, self.state))

    def action_quit_studio(self) -> None:
        from rl_studio.screens.dialogs import ConfirmDialog

        def answered(yes: bool | None) -> None:
            if yes:
                self.app.exit(0, message="Wizard left; nothing was saved or started.")

        self.app.push_screen(ConfirmDialog("Leave the wizard? Nothing is saved or started."), answered)

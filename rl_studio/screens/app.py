"""The studio app: one Textual App for the wizard, attach and the dashboard; F1 keys, palette, keymap."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from rl_studio.errors import StudioError
from rl_studio.screens.keymap import load_keymap
from rl_studio.screens.services import Services


class StudioApp(App[int]):
    CSS_PATH = "studio.tcss"
    TITLE = "rl-studio"
    BINDINGS = [
        Binding("f1", "keys", "Keys", id="app.keys"),
        Binding("ctrl+q", "quit", "Quit", show=False, priority=True, id="app.quit"),
    ]

    def __init__(self, first_screen: Callable[[], Screen], keymap: dict[str, str] | None = None,
                 services: Services | None = None) -> None:
        super().__init__()
        self.first_screen = first_screen
        self.user_keymap = keymap
        self.services = services or Services()

    def on_mount(self) -> None:
        try:
            keymap = self.user_keymap if self.user_keymap is not None else load_keymap()
        except StudioError as e:
            keymap = {}
            self.notify(str(e), severity="error", timeout=10, markup=False)
        if keymap:
            self.set_keymap(keymap)
        self.push_screen(self.first_screen())

    def action_keys(self) -> None:
        from rl_studio.screens.help_screen import HelpScreen

        if isinstance(self.screen, HelpScreen):
            self.pop_screen()
        else:
            self.push_screen(HelpScreen(self.screen))

    async def action_quit(self) -> None:
        """Quit, but a screen that guards a live run is asked first."""
        for screen in reversed(self.screen_stack):
            guard = getattr(screen, "action_quit_studio", None)
            if guard is not None:
                guard()
                return
        self.exit(0)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Every studio key binding (those with ids) of the current screen is in the palette too."""
        yield from super().get_system_commands(screen)
        seen = set()
        for _key, active in screen.active_bindings.items():
            b = active.binding
            if not b.id or b.system or not b.description or b.id in seen or b.action in ("quit", "command_palette"):
                continue
            seen.add(b.id)
            yield SystemCommand(b.description, f"key {self.get_key_display(b)}  ({b.id or b.action})",
                                partial(self.call_later, self.run_action, b.action, active.node))

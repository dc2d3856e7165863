"""Terminal manners: F1 lists the current screen's keys, the keymap rebinds by id, the palette runs actions."""

from __future__ import annotations

from textual.widgets import DataTable

from rl_studio.control import pending
from rl_studio.screens.dashboard import DashboardScreen
from rl_studio.screens.help_screen import HelpScreen
from tests.ui.helpers import app_on, wait_for


def rows(table: DataTable) -> list[tuple[str, str, str]]:
    return [tuple(str(c) for c in table.get_row_at(i)) for i in range(table.row_count)]


async def test_f1_lists_the_dashboard_keys_with_ids(recorded_run):
    app = app_on(lambda: DashboardScreen(recorded_run))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.screen.model.loaded)
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        listed = rows(app.screen.query_one(DataTable))
        assert ("p", "Pause", "dashboard.pause") in listed
        assert ("x", "Stop", "dashboard.stop") in listed
        assert listed[0][2], "the studio's own bindings come first"
        await pilot.press("escape")
        assert isinstance(app.screen, DashboardScreen)


async def test_user_keymap_rebinds_by_id(recorded_run, live_engine, tmp_path, monkeypatch):
    keymap = tmp_path / "keymap.toml"
    keymap.write_text('"dashboard.pause" = "z"\n')
    monkeypatch.setenv("RL_STUDIO_KEYMAP", str(keymap))
    live_engine(recorded_run)
    from rl_studio.screens.app import StudioApp

    app = StudioApp(lambda: DashboardScreen(recorded_run))  # reads $RL_STUDIO_KEYMAP
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.screen.model.alive)
        await pilot.press("p")
        assert pending(recorded_run) == []
        await pilot.press("z")
        assert [p.name.endswith("-pause.json") for p in pending(recorded_run)] == [True]
        await pilot.press("f1")
        assert ("z", "Pause", "dashboard.pause") in rows(app.screen.query_one(DataTable))


async def test_every_dashboard_action_is_in_the_palette(recorded_run):
    app = app_on(lambda: DashboardScreen(recorded_run))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.screen.model.loaded)
        titles = {c.title for c in app.get_system_commands(app.screen)}
        for wanted in ("Pause", "Save", "Stop", "Detach", "Export", "Smooth", "Keys"):
            assert wanted in titles
        smooth = next(c for c in app.get_system_commands(app.screen) if c.title == "Smooth")
        smooth.callback()
        await pilot.pause()
        assert app.screen.smooth is True


async def test_bad_keymap_is_reported_not_fatal(recorded_run, tmp_path, monkeypatch):
    keymap = tmp_path / "keymap.toml"
    keymap.write_text("this is not toml")
    monkeypatch.setenv("RL_STUDIO_KEYMAP", str(keymap))
    from rl_studio.screens.app import StudioApp

    app = StudioApp(lambda: DashboardScreen(recorded_run))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen)
        assert any("not valid TOML" in n.message for n in app._notifications)

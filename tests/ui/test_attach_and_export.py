"""Attach's run picker, the export screen and the summary it writes."""

from __future__ import annotations

from textual.widgets import DataTable

from rl_studio.screens.dashboard import DashboardScreen
from rl_studio.screens.entry import run_attach
from rl_studio.screens.export_screen import ExportScreen
from rl_studio.screens.run_picker import RunPickerScreen
from tests.ui.fakes import FakeServices
from tests.ui.helpers import app_on, wait_for
from tests.ui.synthetic_run import Clock, write_run


async def test_picker_lists_runs_and_opens_one(recorded_run):
    write_run(recorded_run.parent / "other", steps=3, max_steps=10, finished=False)
    app = app_on(lambda: RunPickerScreen(recorded_run.parent))
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.screen.query_one(DataTable)
        await wait_for(pilot, lambda: table.row_count == 2)
        names = sorted(str(table.get_row_at(i)[0]) for i in range(table.row_count))
        assert names == ["other", "smollm2-arith"]
        states = {str(table.get_row_at(i)[0]): str(table.get_row_at(i)[1]) for i in range(table.row_count)}
        assert states == {"other": "INTERRUPTED", "smollm2-arith": "COMPLETED"}
        row = [str(table.get_row_at(i)[0]) for i in range(table.row_count)].index("smollm2-arith")
        table.move_cursor(row=row)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen)
        assert app.screen.model.run_dir == recorded_run


def test_attach_refuses_a_directory_that_is_not_a_run(tmp_path, capsys):
    assert run_attach(tmp_path, tmp_path) == 2
    assert "is not a run directory" in capsys.readouterr().err


async def test_export_keys_start_exports_and_show_progress(recorded_run):
    services = FakeServices()
    app = app_on(lambda: DashboardScreen(recorded_run), services=services)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.screen.model.loaded)
        await pilot.press("e")
        assert isinstance(app.screen, ExportScreen)
        await wait_for(pilot, lambda: (recorded_run / "summary.md").is_file())  # written when the screen opens
        assert "| Steps | 60 / 60 |" in (recorded_run / "summary.md").read_text()
        await pilot.press("a", "m", "g")
        kinds = [c[1][0] for c in services.calls if c[0] == "start_export"]
        assert kinds == ["adapter", "merged-16bit", "gguf"]
        assert services.calls[-1][1][1] == str(recorded_run / "exports" / "gguf")
        w = Clock(recorded_run / "events.jsonl", t0=2e9)
        w.emit("export", kind="adapter", state="done", path="/out/adapter", message="")
        w.close()
        table = app.screen.query_one(DataTable)
        await wait_for(pilot, lambda: str(table.get_row_at(0)[1]) == "DONE")
        assert str(table.get_row_at(0)[2]) == "/out/adapter"
        await pilot.press("h", *"me/model", "enter")
        await pilot.press("y")  # private
        assert services.calls[-1][1] == ("push", "me/model", "private")
        await pilot.press("h", *"me/public", "enter", "n")
        assert services.calls[-1][1] == ("push", "me/public")
        await pilot.press("escape")
        assert isinstance(app.screen, DashboardScreen)


async def test_a_failed_export_shows_its_whole_message(recorded_run):
    w = Clock(recorded_run / "events.jsonl", t0=2e9)
    message = "GGUF export needs llama.cpp: git clone https://github.com/ggml-org/llama.cpp ~/llama.cpp && make"
    w.emit("export", kind="gguf", state="failed", path=None, message=message)
    w.close()
    app = app_on(lambda: DashboardScreen(recorded_run), services=FakeServices())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen) and app.screen.model.loaded)
        await pilot.press("e")
        table = app.screen.query_one(DataTable)
        assert str(table.get_row_at(3)[1]) == "FAILED"
        table.move_cursor(row=3)
        await pilot.pause()
        assert message in str(app.screen.query_one("#export-detail").render()).replace("\n", " ")

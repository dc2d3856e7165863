"""Pilot tests of the dashboard: loading a run, samples, controls, quitting, live following."""

from __future__ import annotations

import random

from textual.widgets import DataTable, RichLog, Static

from rl_studio.control import pending
from rl_studio.screens.dashboard import DashboardScreen
from rl_studio.screens.dialogs import ConfirmDialog, QuitDialog
from rl_studio.screens.messages import RunChanged
from rl_studio.screens.plots import MetricPlot
from rl_studio.screens.sample_screen import SampleScreen
from tests.ui.helpers import app_on, wait_for
from tests.ui.synthetic_run import Clock, samples_for, step_event, write_run


def commands(run_dir) -> list[str]:
    return [p.name.split("-", 1)[1].removesuffix(".json") for p in pending(run_dir)]


async def test_finished_run_loads_header_plots_and_log(recorded_run):
    app = app_on(lambda: DashboardScreen(recorded_run))
    async with app.run_test(size=(120, 40)) as pilot:
        dash = app.screen
        await wait_for(pilot, lambda: dash.model.loaded)
        await wait_for(pilot, lambda: all(p.drawn_key and p.drawn_key[0] == dash.model.series.version
                                          for p in dash.query(MetricPlot)))
        header = str(dash.query_one("#dash-header", Static).render())
        assert "step 60/60" in header and "COMPLETED" in header
        assert len(dash.model.series) == 60
        plot = dash.query_one("#plot-reward", MetricPlot)
        drawn = "\n".join(strip.text for strip in plot.strips)
        assert "Reward: ● total  x correctness  + think_format" in drawn
        assert "●" in drawn.split("\n", 3)[3], "the total-reward line is drawn"
        await pilot.press("3")  # a RichLog lays its lines out once it is shown
        await pilot.pause(0.2)
        log = dash.query_one(RichLog)
        text = "\n".join(strip.text for strip in log.lines)
        assert "WARN" in text and "think_format returned None" in text and "run completed" in text


async def test_samples_sort_step_back_and_open(recorded_run):
    app = app_on(lambda: DashboardScreen(recorded_run))
    async with app.run_test(size=(100, 30)) as pilot:
        dash = app.screen
        await wait_for(pilot, lambda: dash.model.loaded)
        await pilot.press("2")
        await pilot.pause()
        pane = dash.query_one("#samples-pane")
        totals = [r["total"] for r in pane.rows]
        assert totals == sorted(totals, reverse=True) and pane.step == 60
        await pilot.press("o")  # worst first
        assert [r["total"] for r in pane.rows] == sorted(totals)
        await pilot.press("left_square_bracket", "left_square_bracket")
        assert pane.step == 58
        assert "step 58 (58 of 60)" in str(dash.query_one("#samples-caption", Static).render())
        await pilot.press("l")
        assert pane.step == 60
        table = dash.query_one("#samples-table", DataTable)
        assert table.row_count == 8
        await pilot.press("down")
        detail = str(dash.query_one("#samples-detail", Static).render())
        assert pane.rows[1]["completion"] in detail and pane.rows[1]["prompt"] in detail
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, SampleScreen)
        assert app.screen.index == 1
        shown = str(app.screen.query_one("#sample-completion", Static).render())
        assert shown == pane.rows[1]["completion"]
        await pilot.press("n")
        assert app.screen.index == 2
        await pilot.press("escape")
        assert app.screen is dash


async def test_controls_write_commands_for_a_live_run(recorded_run, live_engine):
    (recorded_run / "events.jsonl").write_text(
        "\n".join((recorded_run / "events.jsonl").read_text().splitlines()[:-2]) + "\n")  # not finished
    live_engine(recorded_run)
    app = app_on(lambda: DashboardScreen(recorded_run))
    async with app.run_test(size=(80, 24)) as pilot:
        dash = app.screen
        await wait_for(pilot, lambda: dash.model.loaded and dash.model.alive)
        await pilot.press("p")
        await pilot.press("c")
        assert commands(recorded_run) == ["pause", "save"]
        await pilot.press("x")
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("n")
        assert commands(recorded_run) == ["pause", "save"]
        await pilot.press("x", "y")
        assert commands(recorded_run)[-1] == "stop"
        await pilot.press("e")  # export refuses while the run is going
        assert app.screen is dash


async def test_quitting_a_live_run_asks_and_detach_leaves_it_running(recorded_run, live_engine):
    live_engine(recorded_run)
    (recorded_run / "events.jsonl").write_text(
        "\n".join((recorded_run / "events.jsonl").read_text().splitlines()[:-2]) + "\n")
    app = app_on(lambda: DashboardScreen(recorded_run))
    async with app.run_test(size=(80, 24)) as pilot:
        dash = app.screen
        await wait_for(pilot, lambda: dash.model.alive)
        await pilot.press("q")
        assert isinstance(app.screen, QuitDialog)
        await pilot.press("c")  # cancel
        assert app.screen is dash and app.is_running
        await pilot.press("ctrl+q")  # the app-wide quit asks too
        assert isinstance(app.screen, QuitDialog)
        await pilot.press("d")
        await pilot.pause()
    assert not app.is_running
    assert commands(recorded_run) == []  # detach sent nothing: the run goes on


async def test_quit_with_stop_sends_stop(recorded_run, live_engine):
    live_engine(recorded_run)
    app = app_on(lambda: DashboardScreen(recorded_run))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.screen.model.alive)
        await pilot.press("q", "s")
        await pilot.pause()
    assert commands(recorded_run) == ["stop"]


async def test_finished_run_quits_without_asking(recorded_run):
    app = app_on(lambda: DashboardScreen(recorded_run))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.screen.model.loaded)
        await pilot.press("p")  # nothing to pause: a notification, no command
        assert commands(recorded_run) == []
        await pilot.press("q")
        await pilot.pause()
    assert not app.is_running


async def test_follows_a_live_stream_and_coalesces_updates(tmp_path):
    run_dir = tmp_path / "live"
    write_run(run_dir, steps=5, max_steps=400, finished=False)
    seen: list[RunChanged] = []

    def hook(message):
        if isinstance(message, RunChanged):
            seen.append(message)

    app = app_on(lambda: DashboardScreen(run_dir))
    async with app.run_test(size=(80, 24), message_hook=hook) as pilot:
        dash = app.screen
        await wait_for(pilot, lambda: dash.model.loaded)
        assert dash.model.history.last_step["step"] == 5
        w = Clock(run_dir / "events.jsonl", t0=2e9)
        rng = random.Random(1)
        for step in range(6, 206):
            w.emit("step", **step_event(step, 400, rng))
            w.emit("samples", step=step, reward_names=["correctness", "think_format"], samples=samples_for(step, rng))
        w.close()
        await wait_for(pilot, lambda: dash.model.history.last_step["step"] == 205)
        await pilot.pause(0.6)
        header = str(dash.query_one("#dash-header", Static).render())
        assert "step 205/400" in header
        assert len(dash.model.series) == 205
    assert seen, "the follower posts RunChanged"
    assert len(seen) < 400, "400 events must not cost 400 updates"


async def test_every_plot_keeps_its_title_and_legend_at_80x24(recorded_run):
    app = app_on(lambda: DashboardScreen(recorded_run))
    async with app.run_test(size=(80, 24)) as pilot:
        dash = app.screen
        await wait_for(pilot, lambda: dash.model.loaded)
        await wait_for(pilot, lambda: all(p.drawn_key and p.drawn_key[0] == dash.model.series.version
                                          for p in dash.query(MetricPlot)))
        for plot in dash.query(MetricPlot):
            first = plot.strips[0].text.strip()
            assert first.startswith(plot.chart_title + ": ●"), (plot.id, first)


async def test_resume_only_for_an_unfinished_run(recorded_run):
    from tests.ui.fakes import FakeServices

    services = FakeServices()
    app = app_on(lambda: DashboardScreen(recorded_run), services=services)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.screen.model.loaded)
        await pilot.press("r")  # completed: nothing to resume
        assert services.calls == []
    lines = (recorded_run / "events.jsonl").read_text().splitlines()
    (recorded_run / "events.jsonl").write_text("\n".join(lines[:-2]) + "\n")  # interrupted: no run_finished
    app = app_on(lambda: DashboardScreen(recorded_run), services=services)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.screen.model.loaded)
        assert app.screen.model.state == "interrupted"
        await pilot.press("r")
        assert services.calls == [("resume_run", str(recorded_run))]
        assert app.screen.model.alive  # counted alive while the engine starts


async def test_health_warning_is_logged_once_not_at_every_wiggle(tmp_path):
    run_dir = tmp_path / "flat"
    write_run(run_dir, steps=0, max_steps=100, finished=False)
    rng = random.Random(0)

    def step(w, n):
        e = step_event(n, 100, rng)
        e["metrics"]["frac_reward_zero_std"] = 0.95 if n % 2 else 1.0  # the number wiggles, the sign stays
        w.emit("step", **e)

    app = app_on(lambda: DashboardScreen(run_dir))
    async with app.run_test(size=(80, 24)) as pilot:
        dash = app.screen
        await wait_for(pilot, lambda: dash.model.loaded)
        w = Clock(run_dir / "events.jsonl", t0=2e9)
        for n in range(1, 31):
            step(w, n)
            await wait_for(pilot, lambda n=n: len(dash.model.series) == n)
        w.close()
        await pilot.pause(0.3)
        assert "no learning signal" in str(dash.query_one("#dash-health", Static).render())
        await pilot.press("3")
        await pilot.pause(0.2)
        lines = [strip.text for strip in dash.query_one(RichLog).lines if "HEALTH" in strip.text]
        assert len(lines) == 1 and "no learning signal" in lines[0]


async def test_a_failed_run_says_why_where_the_health_line_is(tmp_path):
    run_dir = tmp_path / "failed"
    write_run(run_dir, steps=3, max_steps=10, finished=False)
    w = Clock(run_dir / "events.jsonl", t0=2e9)
    w.emit("run_finished", outcome="failed", error="reward fmt returned 3 scores for 4 completions",
           where="rewards", user_error=True)
    w.close()
    app = app_on(lambda: DashboardScreen(run_dir))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.screen.model.loaded)
        await pilot.pause(0.2)
        line = str(app.screen.query_one("#dash-health", Static).render())
        assert line == "FAILED: reward fmt returned 3 scores for 4 completions [rewards]"
        assert "FAILED" in str(app.screen.query_one("#dash-header", Static).render())


async def test_brackets_in_model_output_and_errors_show_as_typed(tmp_path):
    run_dir = tmp_path / "brackets"
    write_run(run_dir, steps=2, max_steps=10, finished=False, samples_every=0)
    w = Clock(run_dir / "events.jsonl", t0=2e9)
    odd = "[/think] [bold]42[/bold] \\boxed{[1, 2]}"
    sample = {"group": 0, "prompt": "[red]p", "completion": odd, "rewards": {"fmt[1]": 1.0}, "total": 1.0,
              "advantage": 0.0}
    w.emit("samples", step=2, reward_names=["fmt[1]"], samples=[sample])
    w.close()
    app = app_on(lambda: DashboardScreen(run_dir))
    async with app.run_test(size=(100, 24)) as pilot:
        await wait_for(pilot, lambda: app.screen.model.loaded)
        await pilot.press("2")
        await pilot.pause(0.2)
        table = app.screen.query_one("#samples-table", DataTable)
        assert str(table.get_row_at(0)[-1]) == odd
        assert [str(c.label) for c in table.columns.values()][3] == "fmt[1]"
        await pilot.press("enter")
        await pilot.pause()
        assert str(app.screen.query_one("#sample-completion", Static).render()) == odd
        assert "fmt[1] +1.00" in str(app.screen.query_one("#sample-scores", Static).render())


async def test_a_recorded_real_run_loads_and_shows_raw_model_output_safely(tmp_path):
    """events.jsonl recorded from the real engine (tiny random model): garbled bytes and NULs included."""
    import shutil

    from rl_studio.events import EventTail, validate
    from tests.ui.conftest import ROOT

    run_dir = tmp_path / "wiz"
    shutil.copytree(ROOT / "tests" / "data" / "run-tiny-recorded", run_dir)
    assert not [p for e in EventTail(run_dir).read_new() for p in validate(e)]
    app = app_on(lambda: DashboardScreen(run_dir))
    async with app.run_test(size=(80, 24)) as pilot:
        dash = app.screen
        await wait_for(pilot, lambda: dash.model.loaded)
        await pilot.pause(0.2)
        assert "step 20/20" in str(dash.query_one("#dash-header", Static).render())
        await pilot.press("2")
        await pilot.pause(0.2)
        table = dash.query_one("#samples-table", DataTable)
        shown = [str(table.get_row_at(i)[-1]) for i in range(table.row_count)]
        raw = [s["completion"] for s in dash.model.history.samples[20]["samples"]]
        def controls(text: str) -> bool:
            return any(ord(ch) < 32 and ch not in "\n\t" for ch in text)

        assert any(controls(c) for c in raw), "the fixture holds control characters"
        assert shown and not any(controls(line) for line in shown)
        await pilot.press("enter")
        await pilot.pause()
        assert not controls(str(app.screen.query_one("#sample-completion", Static).render()))


async def test_sample_screen_pages_both_ways_and_wraps(recorded_run):
    app = app_on(lambda: DashboardScreen(recorded_run))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.screen.model.loaded)
        await pilot.press("2")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, SampleScreen) and app.screen.index == 0
        await pilot.press("p")  # before the first is the last
        assert app.screen.index == 7
        await pilot.press("n", "n")
        assert app.screen.index == 1
        assert "sample 2 of 8" in str(app.screen.query_one("#sample-title", Static).render())


async def test_log_wraps_again_after_a_resize(tmp_path):
    run_dir = tmp_path / "wrap"
    write_run(run_dir, steps=2, max_steps=10, finished=False, samples_every=0)
    w = Clock(run_dir / "events.jsonl", t0=2e9)
    long = "static-cache generation: " + " ".join(f"word{i}" for i in range(30)) + " END"
    w.emit("status", phase="generating", message=long, progress=None)
    w.close()
    app = app_on(lambda: DashboardScreen(run_dir))
    async with app.run_test(size=(120, 40)) as pilot:
        dash = app.screen
        await wait_for(pilot, lambda: dash.model.loaded)
        await pilot.press("3")
        await wait_for(pilot, lambda: any("END" in s.text for s in dash.query_one(RichLog).lines))

        def held() -> tuple[int, str]:
            lines = [s.text.rstrip() for s in dash.query_one(RichLog).lines]
            start = next(i for i, t in enumerate(lines) if "static-cache" in t)
            end = next(i for i, t in enumerate(lines) if t.endswith("END"))
            return max(len(t) for t in lines), " ".join(t.strip() for t in lines[start : end + 1])

        wide, text = held()
        assert wide > 80 and text.endswith(long)
        await pilot.resize_terminal(80, 24)
        await wait_for(pilot, lambda: held()[0] <= 80)
        assert held()[1].endswith(long)  # the whole message, wrapped at the new width, nothing cut or orphaned

"""Studio UI benchmark: launch to first frame, key-to-paint under a 20 events/s stream, redraw with 100,000
steps of history, and the app's memory. Prints the figures and saves them to bench/results/ui.json.

    .venv/bin/python bench/ui.py [--steps 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.ui.synthetic_run import Clock, samples_for, step_event, write_run  # noqa: E402

FIRST_FRAME = r"""
import sys, time
t_start = float(sys.argv[1])
from pathlib import Path
from rl_studio.screens.app import StudioApp
from rl_studio.screens.dashboard import DashboardScreen

class Timed(DashboardScreen):
    def on_mount(self):  # Textual runs DashboardScreen.on_mount too
        self.call_after_refresh(self.painted)
    def painted(self):
        print(time.time() - t_start, flush=True)
        self.app.exit()

StudioApp(lambda: Timed(Path(sys.argv[2])), keymap={}).run(headless=True, size=(120, 40))
"""


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def first_frame(run_dir: Path, repeats: int = 5, bytecode: bool = True) -> list[float]:
    """Seconds from spawning a fresh Python to the dashboard's first painted frame (headless, 120x40).

    bytecode=True lets Python use (and first write) __pycache__, as an installed package does; this
    workplace sets PYTHONDONTWRITEBYTECODE, which makes every start compile the studio's sources.
    """
    env = dict(os.environ)
    if bytecode:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    out = []
    for i in range(repeats + 1):
        t = time.time()
        r = subprocess.run([sys.executable, "-c", FIRST_FRAME, str(t), str(run_dir)], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=60)
        if i:  # the first run warms the file cache (and writes bytecode)
            out.append(float(r.stdout.strip().splitlines()[-1]))
    return out


class Streamer(threading.Thread):
    """Appends events at `rate` per second (steps with their samples) until stopped."""

    def __init__(self, run_dir: Path, rate: float = 20.0):
        super().__init__(daemon=True)
        self.run_dir, self.rate, self.stop = run_dir, rate, threading.Event()
        self.sent = 0

    def run(self) -> None:
        w = Clock(self.run_dir / "events.jsonl", t0=time.time())
        rng = random.Random(0)
        step = 1000
        period = 1.0 / self.rate
        nxt = time.monotonic()
        while not self.stop.is_set():
            step += 1
            w.emit("step", **step_event(step, 100_000, rng))
            w.emit("samples", step=step, reward_names=["correctness", "think_format"], samples=samples_for(step, rng))
            self.sent += 2
            nxt += 2 * period
            time.sleep(max(0.0, nxt - time.monotonic()))
        w.close()


async def painted(app) -> None:
    done = asyncio.get_running_loop().create_future()
    app.call_after_refresh(lambda: done.done() or done.set_result(None))
    await done


async def key_latency(run_dir: Path, presses: int = 40) -> dict:
    from rl_studio.screens.app import StudioApp
    from rl_studio.screens.dashboard import DashboardScreen

    app = StudioApp(lambda: DashboardScreen(run_dir), keymap={})
    streamer = Streamer(run_dir)
    times = []
    async with app.run_test(size=(120, 40)) as pilot:
        while not app.screen.model.loaded:
            await pilot.pause(0.05)
        streamer.start()
        await pilot.pause(1.0)
        from textual import events
        from textual.widgets import TabbedContent

        dash = app.screen
        tabs = dash.query_one(TabbedContent)
        keys = ["2", "1", "m", "3", "1", "m"]
        for i in range(presses):
            key = keys[i % len(keys)]
            before = (tabs.active, dash.smooth)
            want = {"1": "plots", "2": "samples", "3": "log"}.get(key)
            t = time.perf_counter()
            app._driver.send_message(events.Key(key, key))  # as the terminal driver delivers a key
            while (tabs.active != want) if want else ((tabs.active, dash.smooth) == before):
                await asyncio.sleep(0.0005)
            await painted(app)
            times.append(time.perf_counter() - t)
            await asyncio.sleep(0.15 + 0.1 * random.random())  # keys at human pace, out of phase with the stream
        streamer.stop.set()
        streamer.join()
        seen = app.screen.model.events_seen
    times.sort()
    return {"median_ms": 1000 * statistics.median(times), "p95_ms": 1000 * times[int(0.95 * len(times)) - 1],
            "max_ms": 1000 * times[-1], "events_streamed": streamer.sent, "events_seen": seen}


async def big_history(run_dir: Path, redraws: int = 10) -> dict:
    from rl_studio.screens.app import StudioApp
    from rl_studio.screens.dashboard import DashboardScreen
    from rl_studio.screens.plots import MetricPlot

    rss_before = rss_mib()
    app = StudioApp(lambda: DashboardScreen(run_dir), keymap={})
    async with app.run_test(size=(120, 40)) as pilot:
        t = time.perf_counter()
        while not app.screen.model.loaded:
            await pilot.pause(0.02)
        load_s = time.perf_counter() - t
        dash = app.screen
        await pilot.pause(0.7)
        times, cached = [], []
        for _ in range(redraws):
            with dash.model.lock:
                dash.model.series._touch()  # as if a new step arrived: recompute every series
            t = time.perf_counter()
            dash.draw_plots()  # builds in the plot worker; done when every plot shows the new version
            version = dash.model.series.version
            while any(p.drawn_key is None or p.drawn_key[0] != version for p in dash.query(MetricPlot)):
                await asyncio.sleep(0.001)
            await painted(app)
            times.append(time.perf_counter() - t)
            t = time.perf_counter()
            for p in dash.query(MetricPlot):
                p.draw(dash.model.series, dash.smooth, force=True)  # same data: downsampling cached
            await painted(app)
            cached.append(time.perf_counter() - t)
        steps = len(dash.model.series)
        rss = rss_mib()
    return {"steps": steps, "load_s": load_s, "redraw_ms": 1000 * statistics.median(times),
            "redraw_cached_ms": 1000 * statistics.median(cached), "rss_mib": rss, "rss_before_mib": rss_before}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=100_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        small = Path(tmp) / "small"
        write_run(small, steps=1000, max_steps=100_000, finished=False)
        ff = first_frame(small)
        ff_nobc = first_frame(small, bytecode=False)
        rss_idle = rss_mib()
        lat = asyncio.run(key_latency(small))
        big = Path(tmp) / "big"
        t = time.perf_counter()
        write_run(big, steps=args.steps, max_steps=args.steps, samples_every=100)
        gen_s = time.perf_counter() - t
        size_mib = (big / "events.jsonl").stat().st_size / 2**20
        hist = asyncio.run(big_history(big))
    figures = {
        "machine": f"{os.cpu_count()} CPU cores, Python {sys.version.split()[0]}",
        "first_frame_s": {"median": statistics.median(ff), "min": min(ff), "max": max(ff), "runs": len(ff),
                          "median_without_bytecode": statistics.median(ff_nobc)},
        "key_to_paint_at_20_events_per_s": lat,
        "history": {**hist, "events_file_mib": size_mib, "generate_s": gen_s},
        "rss_mib_process_start": rss_idle,
    }
    print(f"launch -> first frame (fresh process, dashboard, headless 120x40): median {statistics.median(ff):.3f} s "
          f"(min {min(ff):.3f}, max {max(ff):.3f}, {len(ff)} runs); {statistics.median(ff_nobc):.3f} s when "
          "sources are compiled at every start (PYTHONDONTWRITEBYTECODE)")
    print(f"key -> paint while 20 events/s stream in: median {lat['median_ms']:.1f} ms, p95 {lat['p95_ms']:.1f} ms, "
          f"max {lat['max_ms']:.1f} ms ({lat['events_streamed']} events streamed)")
    print(f"{hist['steps']:,} steps of history ({size_mib:.0f} MiB events.jsonl): attach/load {hist['load_s']:.2f} s, "
          f"4-plot redraw {hist['redraw_ms']:.1f} ms (new data), {hist['redraw_cached_ms']:.1f} ms (cached series)")
    print(f"app memory (RSS): {hist['rss_mib']:.0f} MiB with {hist['steps']:,} steps loaded "
          f"(process before attach: {hist['rss_before_mib']:.0f} MiB)")
    out = ROOT / "bench" / "results" / "ui.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=2) + "\n")
    print(f"saved {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()

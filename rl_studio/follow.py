"""Follow a run in the terminal: one compact line per step, not tqdm noise (UI-free core)."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any, TextIO

from rl_studio.events import EventTail
from rl_studio.rundir import engine_pid


def fmt_duration(seconds: float | None) -> str:
    if seconds is None:
        return "--"
    s = int(seconds)
    if s >= 3600:
        return f"{s // 3600}h{s % 3600 // 60:02d}m"
    if s >= 60:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s}s"


def _num(v: Any, spec: str) -> str:
    return format(v, spec) if isinstance(v, int | float) else "--"


def step_line(event: dict[str, Any]) -> str:
    m = event.get("metrics", {})
    tps = event.get("tokens_per_s")
    return (
        f"step {event['step']}/{event.get('max_steps') or '?'}"
        f"  reward {_num(m.get('reward'), '.3f')} ±{_num(m.get('reward_std'), '.3f')}"
        f"  kl {_num(m.get('kl'), '.4f')}"
        f"  len {_num(m.get('completions/mean_length'), '.0f')}"
        f"  {_num(tps, ',.0f')} tok/s"
        f"  ETA {fmt_duration(event.get('eta_s'))}"
    )


def event_line(event: dict[str, Any]) -> str | None:
    t = event.get("type")
    if t == "step":
        return step_line(event)
    if t == "status":
        return f"[{event['phase']}] {event['message']}"
    if t == "warning":
        return f"warning: {event['message']}"
    if t == "checkpoint":
        return f"checkpoint at step {event['step']}: {event['path']}"
    if t == "run_started":
        return f"run started on {event.get('device')} with engine {event.get('engine')} (attempt {event.get('attempt')})"
    if t == "run_resumed":
        return f"resuming from step {event['from_step']}"
    if t == "control":
        return f"control: {event['command']} {event['state']}"
    if t == "export":
        return f"export {event['kind']}: {event['state']} {event.get('path') or ''} {event.get('message') or ''}".rstrip()
    return None


def follow(run_dir: Path, *, out: TextIO = sys.stdout, poll: float = 0.3, from_start: bool = True) -> dict | None:
    """Print events until the run finishes; returns the run_finished event (None if the engine vanished)."""
    tail = EventTail(run_dir)
    if not from_start:
        tail.read_new()
    quiet_since = time.time()
    while True:
        events = tail.read_new()
        for e in events:
            line = event_line(e)
            if line:
                print(line, file=out, flush=True)
            if e.get("type") == "run_finished":
                return e
        if events:
            quiet_since = time.time()
        elif time.time() - quiet_since > 5 and engine_pid(run_dir) is None:
            time.sleep(1.0)  # the engine may have just written its last line
            for e in tail.read_new():
                if e.get("type") == "run_finished":
                    return e
            if time.time() - quiet_since > 20:
                return None
        time.sleep(poll)

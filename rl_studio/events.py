"""The run's event stream: `events.jsonl`, one JSON object per line, append-only (UI-free core).

The engine writes it (one writer: the main process), flushing each event; the CLI follower, the
dashboard and `attach` read it with `EventTail`, which serves a live run and a finished one alike.
`RunHistory` folds events into the state a reader shows. The schema is in docs/events.md and in
`SCHEMA` below, which the tests validate against.
"""

from __future__ import annotations

import json
import math
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

EVENTS_FILE = "events.jsonl"

# type -> {field: allowed python types}; every event also has type, time, seq.
SCHEMA: dict[str, dict[str, tuple[type, ...]]] = {
    "run_started": {"config": (dict,), "engine": (str,), "device": (str,), "versions": (dict,), "attempt": (int,)},
    "status": {"phase": (str,), "message": (str,), "progress": (float, int, type(None))},
    "step": {
        "step": (int,),
        "max_steps": (int,),
        "metrics": (dict,),
        "elapsed": (float, int),
        "tokens_per_s": (float, int, type(None)),
        "eta_s": (float, int, type(None)),
    },
    "samples": {"step": (int,), "reward_names": (list,), "samples": (list,)},
    "checkpoint": {"step": (int,), "path": (str,)},
    "warning": {"message": (str,), "where": (str,)},
    "control": {"command": (str,), "state": (str,)},
    "run_resumed": {"from_step": (int,), "checkpoint": (str,), "superseded_steps": (list,)},
    "export": {"kind": (str,), "state": (str,), "path": (str, type(None)), "message": (str,)},
    "gpu": {"gpus": (list,)},
    "run_finished": {
        "outcome": (str,),
        "error": (str, type(None)),
        "where": (str, type(None)),
        "user_error": (bool,),
    },
}
PHASES = ("loading_model", "preparing_dataset", "compiling", "generating", "training", "saving", "exporting")
OUTCOMES = ("completed", "stopped", "failed")
SAMPLE_FIELDS = ("group", "prompt", "completion", "rewards", "total", "advantage")


def validate(event: dict[str, Any]) -> list[str]:
    """Problems with one event against SCHEMA (empty list when it conforms)."""
    problems = []
    etype = event.get("type")
    if etype not in SCHEMA:
        return [f"unknown type {etype!r}"]
    for key, types in (("time", (float, int)), ("seq", (int,))):
        if not isinstance(event.get(key), types):
            problems.append(f"{etype}: {key} missing or of the wrong type")
    for key, types in SCHEMA[etype].items():
        if key not in event:
            problems.append(f"{etype}: missing {key}")
        elif not isinstance(event[key], types):
            problems.append(f"{etype}: {key} is {type(event[key]).__name__}")
    if etype == "status" and event.get("phase") not in PHASES:
        problems.append(f"status: unknown phase {event.get('phase')!r}")
    if etype == "run_finished" and event.get("outcome") not in OUTCOMES:
        problems.append(f"run_finished: unknown outcome {event.get('outcome')!r}")
    if etype == "samples":
        for s in event.get("samples", []):
            missing = [k for k in SAMPLE_FIELDS if k not in s]
            if missing:
                problems.append(f"samples: a sample lacks {missing}")
                break
    return problems


def _clean(value: Any) -> Any:
    """JSON has no NaN/inf: write them as null so every reader can parse the line."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


class EventWriter:
    """Appends events to events.jsonl, one flushed line each; thread-safe."""

    def __init__(self, run_dir: str | Path):
        self.path = Path(run_dir) / EVENTS_FILE
        self._lock = threading.Lock()
        self._seq = _last_seq(self.path)
        self._fh = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - kept open for the run
        if self._fh.tell() and not _ends_with_newline(self.path):
            self._fh.write("\n")  # a crash left a torn line: start ours on a line of its own

    def emit(self, etype: str, **fields: Any) -> dict[str, Any]:
        with self._lock:
            self._seq += 1
            event = {"type": etype, "time": time.time(), "seq": self._seq, **_clean(fields)}
            self._fh.write(json.dumps(event, ensure_ascii=False) + "\n")
            self._fh.flush()
        return event

    def close(self) -> None:
        with self._lock:
            if not self._fh.closed:
                self._fh.flush()
                os.fsync(self._fh.fileno())
                self._fh.close()


class NullWriter:
    """What processes other than the main one write: nothing (one writer per run)."""

    def emit(self, etype: str, **fields: Any) -> dict[str, Any]:
        return {"type": etype, **fields}

    def close(self) -> None:
        pass


def _ends_with_newline(path: Path) -> bool:
    with open(path, "rb") as fh:
        fh.seek(-1, os.SEEK_END)
        return fh.read(1) == b"\n"


def _last_seq(path: Path, window: int = 1 << 16) -> int:
    """The seq of the last whole event, read from the file's end (a long run's stream is tens of MiB)."""
    if not path.exists():
        return 0
    with open(path, "rb") as fh:
        size = fh.seek(0, os.SEEK_END)
        start = max(0, size - window)
        fh.seek(start)
        lines = fh.read().split(b"\n")
    if start:
        lines = lines[1:]  # the first line of the window may be cut
    for line in reversed(lines):
        try:
            return int(json.loads(line)["seq"])
        except (ValueError, KeyError, TypeError):
            continue  # empty, torn or foreign line: look further back
    return _last_seq(path, window * 4) if start else 0


class EventTail:
    """Reads complete new lines from events.jsonl; call `read_new()` again to follow a live run."""

    def __init__(self, path: str | Path):
        path = Path(path)
        self.path = path / EVENTS_FILE if path.is_dir() else path
        self._pos = 0
        self._partial = b""

    def read_new(self, max_bytes: int | None = None) -> list[dict[str, Any]]:
        try:
            with open(self.path, "rb") as fh:
                fh.seek(self._pos)
                chunk = fh.read() if max_bytes is None else fh.read(max_bytes)
        except FileNotFoundError:
            return []
        self._pos += len(chunk)
        data = self._partial + chunk
        lines = data.split(b"\n")
        self._partial = lines.pop()  # an incomplete last line waits for its newline
        events = []
        for line in lines:
            if not line.strip():
                continue
            try:
                events.append(json.loads(line))
            except json.JSONDecodeError:
                continue  # a torn line from a crash mid-write: skip it, never stop reading
        return events


@dataclass
class RunHistory:
    """The state of a run, folded from its events. Steps superseded by a resume are dropped."""

    started: dict[str, Any] | None = None
    steps: dict[int, dict[str, Any]] = field(default_factory=dict)
    samples: dict[int, dict[str, Any]] = field(default_factory=dict)
    status: dict[str, Any] | None = None
    checkpoints: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    log: list[dict[str, Any]] = field(default_factory=list)
    exports: list[dict[str, Any]] = field(default_factory=list)
    gpu: dict[str, Any] | None = None
    finished: dict[str, Any] | None = None
    paused: bool = False
    attempts: int = 0

    def apply(self, event: dict[str, Any]) -> None:
        t = event.get("type")
        if t == "run_started":
            self.started = event
            self.finished = None
            self.paused = False
            self.attempts = max(self.attempts, int(event.get("attempt", 1)))
        elif t == "step":
            self.steps[int(event["step"])] = event
        elif t == "samples":
            self.samples[int(event["step"])] = event
        elif t == "status":
            self.status = event
        elif t == "checkpoint":
            self.checkpoints.append(event)
        elif t == "warning":
            self.warnings.append(event)
        elif t == "run_resumed":
            cut = int(event["from_step"])
            for s in [s for s in self.steps if s > cut]:
                del self.steps[s]
            for s in [s for s in self.samples if s > cut]:
                del self.samples[s]
        elif t == "control":
            if event.get("state") == "done":
                if event.get("command") == "pause":
                    self.paused = True
                elif event.get("command") == "resume":
                    self.paused = False
        elif t == "export":
            self.exports.append(event)
        elif t == "gpu":
            self.gpu = event
        elif t == "run_finished":
            self.finished = event
            self.paused = False
        if t in ("status", "warning", "checkpoint", "control", "run_resumed", "run_finished", "export", "run_started"):
            self.log.append(event)

    def extend(self, events: list[dict[str, Any]]) -> None:
        for e in events:
            self.apply(e)

    @property
    def last_step(self) -> dict[str, Any] | None:
        return self.steps[max(self.steps)] if self.steps else None

    def series(self, key: str) -> tuple[list[int], list[float]]:
        xs, ys = [], []
        for s in sorted(self.steps):
            v = self.steps[s]["metrics"].get(key)
            if isinstance(v, int | float):
                xs.append(s)
                ys.append(float(v))
        return xs, ys

    def reward_names(self) -> list[str]:
        names: list[str] = []
        for s in self.steps.values():
            for k in s["metrics"]:
                if k.startswith("rewards/") and k.endswith("/mean"):
                    n = k[len("rewards/") : -len("/mean")]
                    if n not in names:
                        names.append(n)
            if names:
                break
        return names


def read_history(run_dir: str | Path) -> RunHistory:
    h = RunHistory()
    h.extend(EventTail(run_dir).read_new())
    return h

"""The event stream: append-only writer, tailing reader, history folding, schema."""

from __future__ import annotations

import json
from pathlib import Path

from rl_studio.events import EventTail, EventWriter, RunHistory, read_history, validate


def test_writer_appends_and_tail_follows(tmp_path: Path):
    w = EventWriter(tmp_path)
    tail = EventTail(tmp_path)
    w.emit("status", phase="training", message="a", progress=None)
    assert [e["message"] for e in tail.read_new()] == ["a"]
    assert tail.read_new() == []
    w.emit("warning", message="w", where="x")
    assert [e["type"] for e in tail.read_new()] == ["warning"]
    w.close()
    # a new writer continues the sequence numbers
    w2 = EventWriter(tmp_path)
    e = w2.emit("status", phase="saving", message="b", progress=0.5)
    assert e["seq"] == 3


def test_partial_and_torn_lines(tmp_path: Path):
    path = tmp_path / "events.jsonl"
    good = json.dumps({"type": "status", "time": 1.0, "seq": 1, "phase": "training", "message": "x", "progress": None})
    path.write_text(good + "\n" + '{"type": "sta' + "\n" + good[:10])
    tail = EventTail(tmp_path)
    assert len(tail.read_new()) == 1  # torn line skipped, incomplete last line held back
    with open(path, "a") as fh:
        fh.write(good[10:] + "\n")
    assert len(tail.read_new()) == 1


def test_nan_is_written_as_null(tmp_path: Path):
    w = EventWriter(tmp_path)
    w.emit("step", step=1, max_steps=2, metrics={"kl": float("nan")}, elapsed=1.0, tokens_per_s=None, eta_s=None)
    line = (tmp_path / "events.jsonl").read_text()
    assert "NaN" not in line and json.loads(line)["metrics"]["kl"] is None


def _step(step: int, reward: float) -> dict:
    return {"type": "step", "time": 0.0, "seq": step, "step": step, "max_steps": 10,
            "metrics": {"reward": reward}, "elapsed": 0.0, "tokens_per_s": None, "eta_s": None}


def test_history_drops_superseded_steps():
    h = RunHistory()
    h.extend([_step(1, 0.1), _step(2, 0.2), _step(3, 0.3)])
    h.apply({"type": "run_resumed", "from_step": 2, "checkpoint": "c", "superseded_steps": [3]})
    h.apply(_step(3, 0.35))
    assert sorted(h.steps) == [1, 2, 3]
    assert h.series("reward") == ([1, 2, 3], [0.1, 0.2, 0.35])


def test_validate_flags_problems():
    assert validate(_step(1, 0.1)) == []
    bad = _step(1, 0.1)
    del bad["metrics"]
    assert validate(bad) == ["step: missing metrics"]
    assert validate({"type": "nope"}) == ["unknown type 'nope'"]
    assert read_history(Path("/nonexistent")).steps == {}


def test_writer_continues_seq_after_a_long_stream_and_a_torn_line(tmp_path: Path):
    w = EventWriter(tmp_path)
    for i in range(3000):  # longer than the tail window the writer reads
        w.emit("status", phase="training", message="x" * 40, progress=i / 3000)
    w.close()
    with open(tmp_path / "events.jsonl", "a") as fh:
        fh.write('{"type": "status", "seq": 99')  # a crash mid-write
    assert EventWriter(tmp_path).emit("warning", message="m", where="w")["seq"] == 3001
    events = EventTail(tmp_path).read_new()
    assert len(events) == 3001 and events[-1]["type"] == "warning"  # not glued onto the torn line

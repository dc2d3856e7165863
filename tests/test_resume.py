"""A run killed with SIGKILL resumes from its newest complete checkpoint, with no duplicated steps."""

from __future__ import annotations

import json
import os
import signal

import pytest
from conftest import cli, wait_for, write_config

from rl_studio.events import read_history
from rl_studio.rundir import checkpoint_step, complete_checkpoints, engine_pid, newest_checkpoint

pytestmark = pytest.mark.slow


def _kill(run_dir):
    pid = engine_pid(run_dir)
    assert pid is not None
    os.killpg(pid, signal.SIGKILL)  # the engine leads its own session: kill it and any children
    wait_for(lambda: engine_pid(run_dir) is None, timeout=30)


@pytest.mark.parametrize("kill_at", ["mid_run", "before_first_checkpoint"])
def test_sigkill_then_resume(tiny_model, tmp_path, kill_at):
    write_config(tmp_path / "cfg.toml", tiny_model, steps=10, save_steps=3, name="r")
    run_dir = tmp_path / "runs" / "r"
    proc = cli("train", "cfg.toml", "--detach", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    if kill_at == "mid_run":
        wait_for(lambda: complete_checkpoints(run_dir) and max(read_history(run_dir).steps, default=0) >= 4)
    else:
        wait_for(lambda: read_history(run_dir).started is not None)
    _kill(run_dir)
    before = read_history(run_dir)
    assert before.finished is None  # killed: no run_finished was written
    killed_at = max(before.steps, default=0)
    newest = newest_checkpoint(run_dir)  # a checkpoint caught mid-write has no marker and is skipped
    expected_from = checkpoint_step(newest) if newest else 0
    if kill_at == "mid_run":
        assert expected_from >= 3

    proc = cli("train", "--resume", str(run_dir), cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    events = [json.loads(line) for line in (run_dir / "events.jsonl").read_text().splitlines()]
    resumed = [e for e in events if e["type"] == "run_resumed"]
    assert len(resumed) == 1
    assert resumed[0]["from_step"] == expected_from
    assert resumed[0]["superseded_steps"] == list(range(expected_from + 1, killed_at + 1))
    # the resumed run does not log the checkpoint's steps again
    after = [e["step"] for e in events[events.index(resumed[0]):] if e["type"] == "step"]
    assert after == list(range(expected_from + 1, 11))
    h = read_history(run_dir)
    assert sorted(h.steps) == list(range(1, 11))
    assert h.finished["outcome"] == "completed" and h.attempts == 2
    seqs = [e["seq"] for e in events]
    assert seqs == sorted(set(seqs))  # the stream continues in the same file, in order

"""Control commands reach the engine through the run directory and act at step boundaries."""

from __future__ import annotations

import time

import pytest
from conftest import cli, wait_for, write_config

from rl_studio.events import read_history
from rl_studio.rundir import engine_pid

pytestmark = pytest.mark.slow


def _controls(run_dir):
    return [(e["command"], e["state"]) for e in read_history(run_dir).log if e["type"] == "control"]


def test_pause_save_resume_stop(tiny_model, tmp_path):
    write_config(tmp_path / "cfg.toml", tiny_model, steps=500, save_steps=1000, name="ctl")
    run_dir = tmp_path / "runs" / "ctl"
    assert cli("train", "cfg.toml", "--detach", cwd=tmp_path).returncode == 0
    wait_for(lambda: len(read_history(run_dir).steps) >= 2)

    assert cli("control", str(run_dir), "pause", cwd=tmp_path).returncode == 0
    wait_for(lambda: ("pause", "done") in _controls(run_dir))
    assert read_history(run_dir).paused
    paused_at = max(read_history(run_dir).steps)
    time.sleep(2.0)
    assert max(read_history(run_dir).steps) == paused_at  # no step while paused

    assert cli("control", str(run_dir), "resume", cwd=tmp_path).returncode == 0
    wait_for(lambda: max(read_history(run_dir).steps) > paused_at + 1)
    assert not read_history(run_dir).paused

    assert cli("control", str(run_dir), "save", cwd=tmp_path).returncode == 0
    ckpt = wait_for(lambda: read_history(run_dir).checkpoints)
    assert ckpt[0]["step"] > paused_at  # saved now, not at save_steps = 1000

    assert cli("control", str(run_dir), "stop", cwd=tmp_path).returncode == 0
    h = wait_for(lambda: (lambda h: h if h.finished else None)(read_history(run_dir)), timeout=120)
    assert h.finished["outcome"] == "stopped"
    assert h.checkpoints[-1]["step"] == max(h.steps) < 500
    wait_for(lambda: engine_pid(run_dir) is None, timeout=30)
    proc = cli("control", str(run_dir), "stop", cwd=tmp_path)
    assert proc.returncode == 2 and "no engine is running" in proc.stderr


def test_sigterm_stops_and_saves(tiny_model, tmp_path):
    import os
    import signal

    write_config(tmp_path / "cfg.toml", tiny_model, steps=500, save_steps=1000, name="term")
    run_dir = tmp_path / "runs" / "term"
    assert cli("train", "cfg.toml", "--detach", cwd=tmp_path).returncode == 0
    wait_for(lambda: len(read_history(run_dir).steps) >= 2)
    os.kill(engine_pid(run_dir), signal.SIGTERM)
    h = wait_for(lambda: (lambda h: h if h.finished else None)(read_history(run_dir)), timeout=120)
    assert h.finished["outcome"] == "stopped" and h.checkpoints and h.checkpoints[-1]["step"] == max(h.steps)

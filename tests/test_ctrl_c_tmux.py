"""Ctrl-C on a foreground `rl-studio train` asks: stop-and-save or detach (driven in a real tmux)."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest
from conftest import ROOT, wait_for, write_config

from rl_studio import control
from rl_studio.events import read_history
from rl_studio.rundir import engine_pid

pytestmark = [pytest.mark.slow, pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")]


def _tmux(*args: str) -> str:
    return subprocess.run(["tmux", "-L", "rl-studio-tests", *args], capture_output=True, text=True, check=True).stdout


def _screen(session: str) -> str:
    return _tmux("capture-pane", "-p", "-t", session)


@pytest.mark.parametrize("answer", ["s", "d"])
def test_ctrl_c_then_stop_or_detach(tiny_model, tmp_path, answer):
    write_config(tmp_path / "cfg.toml", tiny_model, steps=400, save_steps=1000, name="fg")
    run_dir = tmp_path / "runs" / "fg"
    session = f"rlstudio-ctrlc-{answer}-{tmp_path.name}"[:40]
    cmd = f"cd {tmp_path} && PYTHONPATH={ROOT} OMP_NUM_THREADS=1 {sys.executable} -m rl_studio train cfg.toml; sleep 30"
    _tmux("new-session", "-d", "-s", session, "-x", "100", "-y", "30", cmd)
    try:
        wait_for(lambda: "step 2/400" in _screen(session), timeout=240)
        _tmux("send-keys", "-t", session, "C-c")
        wait_for(lambda: "[s]top and save, [d]etach" in _screen(session), timeout=30)
        _tmux("send-keys", "-t", session, answer, "Enter")
        if answer == "s":
            wait_for(lambda: "run stopped:" in _screen(session), timeout=120)
            h = read_history(run_dir)
            assert h.finished["outcome"] == "stopped" and h.checkpoints[-1]["step"] == max(h.steps)
        else:
            wait_for(lambda: "detached; the run goes on" in _screen(session), timeout=30)
            n = len(read_history(run_dir).steps)
            wait_for(lambda: len(read_history(run_dir).steps) > n + 2, timeout=60)  # it keeps training
            assert engine_pid(run_dir) is not None
            control.send(run_dir, "stop")
            wait_for(lambda: read_history(run_dir).finished, timeout=120)
    finally:
        subprocess.run(["tmux", "-L", "rl-studio-tests", "kill-session", "-t", session], capture_output=True)
        if engine_pid(run_dir):
            control.send(run_dir, "stop")

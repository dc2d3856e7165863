"""End to end in a real terminal: tmux drives the studio through the wizard with the tiny test model, watches
the run finish on the dashboard, exports the adapter, and quits. Slow (trains on the CPU): -m slow.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.slow, pytest.mark.skipif(not shutil.which("tmux"), reason="needs tmux")]


class Tmux:
    def __init__(self, name: str, cwd: Path, command: str, size=(80, 24)):
        self.name = name
        env = {**os.environ, "PYTHONPATH": str(ROOT), "RL_STUDIO_KEYMAP": str(cwd / "none.toml")}
        subprocess.run(["tmux", "-L", "rl-studio-tests", "new-session", "-d", "-s", name, "-x", str(size[0]), "-y", str(size[1]),
                        "-c", str(cwd), command], check=True, env=env)

    def keys(self, *keys: str, literal: bool = False, pause: float = 0.4) -> None:
        for k in keys:
            subprocess.run(["tmux", "-L", "rl-studio-tests", "send-keys", "-t", self.name] + (["-l"] if literal else []) + [k], check=True)
            time.sleep(pause)

    def type(self, text: str) -> None:
        self.keys(text, literal=True)

    def screen(self) -> str:
        return subprocess.run(["tmux", "-L", "rl-studio-tests", "capture-pane", "-p", "-t", self.name], capture_output=True, text=True).stdout

    def wait(self, text: str, timeout: float = 60) -> str:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            shown = self.screen()
            if text in shown:
                return shown
            time.sleep(0.5)
        raise AssertionError(f"{text!r} never appeared; the screen shows:\n{self.screen()}")

    def close(self) -> None:
        subprocess.run(["tmux", "-L", "rl-studio-tests", "kill-session", "-t", self.name], capture_output=True)


def test_wizard_to_finished_exported_run_by_keys(tiny_model, tmp_path):
    runner = tmp_path / "studio.py"
    runner.write_text("from pathlib import Path\nfrom rl_studio.screens.entry import run_wizard\n"
                      "print('exit code', run_wizard(Path('runs')))\nimport time\ntime.sleep(60)\n")
    t = Tmux(f"rl-studio-e2e-{os.getpid()}", tmp_path, f"{sys.executable} {runner}")
    try:
        t.wait("Step 1/6 Model", 60)
        t.keys("End", "C-u")
        t.type(str(tiny_model))
        t.keys("Tab", "Tab")
        t.type("256")
        t.wait("parameters", 180)  # the model probe answered
        t.keys("C-n")
        t.wait("Step 2/6 LoRA")
        t.keys("C-n")
        t.wait("Step 3/6 Dataset")
        t.keys("Tab", "Tab", "Tab", "Tab")
        t.type("32")
        t.wait("final prompt of row 0", 180)  # the dataset preview answered
        t.keys("C-n")
        t.wait("Step 4/6 Rewards")
        t.keys("C-n")
        t.wait("Step 5/6 Training")
        for value, tabs in (("4", 0), ("32", 1), ("1e-3", 1), ("6", 3), ("e2e", 1), ("3", 1)):
            t.keys(*(["Tab"] * tabs))
            t.type(value)
        t.keys("C-n")
        shown = t.wait("Step 6/6 Review")
        assert "OK: the config is valid" in shown
        t.keys("C-s")
        assert (tmp_path / "e2e.toml").is_file()
        t.keys("C-r")
        t.wait("RUNNING", 120)
        shown = t.wait("COMPLETED", 300)
        assert "step 6/6" in shown
        t.keys("e")
        t.wait("exports go to")
        t.keys("a")
        t.wait("DONE", 180)
        assert (tmp_path / "runs" / "e2e" / "exports" / "adapter").is_dir()
        assert (tmp_path / "runs" / "e2e" / "summary.md").is_file()
        t.keys("Escape", "q")
        t.wait("exit code 0", 20)
    finally:
        t.close()

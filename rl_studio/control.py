"""Control commands for a running engine, passed through the run directory (UI-free core).

A reader (CLI, dashboard) drops a small JSON file into `RUN_DIR/control/`; the engine picks the
files up at the next step boundary, in order, acts through TrainerControl, reports each one as a
`control` event and deletes the file. Nothing but the file system links the two processes, so a
command works from any terminal, including one attached after an SSH drop.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

COMMANDS = {
    "stop": "stop and save a checkpoint",
    "save": "save a checkpoint now",
    "pause": "pause at the next step boundary",
    "resume": "resume a paused run",
}
CONTROL_DIR = "control"


def send(run_dir: str | Path, command: str) -> Path:
    """Queue a command for the engine of `run_dir`; returns the file written."""
    if command not in COMMANDS:
        raise ValueError(f"unknown control command {command!r}; known: {', '.join(COMMANDS)}")
    folder = Path(run_dir) / CONTROL_DIR
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{time.time_ns()}-{command}.json"
    tmp = folder / f".{name}.tmp"
    tmp.write_text(json.dumps({"command": command, "time": time.time()}))
    os.replace(tmp, folder / name)  # atomic: the engine never sees half a file
    return folder / name


def pending(run_dir: str | Path) -> list[Path]:
    folder = Path(run_dir) / CONTROL_DIR
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("*.json") if not p.name.startswith("."))


def take(run_dir: str | Path) -> list[str]:
    """Commands waiting for the engine, oldest first; each is removed as it is taken."""
    out = []
    for p in pending(run_dir):
        try:
            command = json.loads(p.read_text()).get("command", "")
        except (OSError, json.JSONDecodeError):
            command = ""
        p.unlink(missing_ok=True)
        if command in COMMANDS:
            out.append(command)
    return out

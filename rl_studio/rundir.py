"""The run directory: its layout, liveness and checkpoints (UI-free core).

    runs/<name>/
      config.toml        the resolved config the engine runs (absolute paths)
      events.jsonl       the append-only event stream (rl_studio.events)
      engine.log         the engine process's stdout and stderr
      engine.pid         pid of the engine while it runs
      checkpoints/       the Trainer's own checkpoint-N folders
      control/           pending control commands (rl_studio.control)
      summary.md         written at the end of the run
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from rl_studio.errors import StudioError
from rl_studio.events import EVENTS_FILE, RunHistory, read_history

CONFIG_FILE = "config.toml"
LOG_FILE = "engine.log"
PID_FILE = "engine.pid"
CHECKPOINTS = "checkpoints"
COMPLETE_MARKER = "rl_studio_complete"  # written into a checkpoint after the Trainer finished saving it


def is_run_dir(path: Path) -> bool:
    return (path / CONFIG_FILE).is_file() or (path / EVENTS_FILE).is_file()


def check_free(run_dir: Path) -> None:
    """Refuse a directory that holds another run or unrelated files."""
    if run_dir.exists():
        if not run_dir.is_dir():
            raise StudioError(f"{run_dir} exists and is not a directory; set run.name or run.output_dir elsewhere")
        if is_run_dir(run_dir):
            raise StudioError(
                f"{run_dir} holds another run; choose another run.name (--set run.name=NEW) "
                f"or continue it with `rl-studio train --resume {run_dir}`"
            )
        if any(run_dir.iterdir()):
            raise StudioError(f"{run_dir} is not empty; choose another run.name or run.output_dir")


def claim_new(run_dir: Path) -> None:
    """Create a fresh run directory, refusing one that holds anything."""
    check_free(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)


def engine_pid(run_dir: Path) -> int | None:
    """The pid of the engine if it is alive, else None."""
    try:
        pid = int((run_dir / PID_FILE).read_text().strip())
    except (OSError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return pid
    try:  # a reused pid must still be our engine, and not a zombie
        stat = Path(f"/proc/{pid}/stat").read_text()
        if stat.rsplit(")", 1)[1].split()[0] == "Z":
            return None
        if "rl_studio" not in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace"):
            return None
    except OSError:
        pass
    return pid


def checkpoint_step(path: Path) -> int:
    try:
        return int(path.name.rsplit("-", 1)[1])
    except (IndexError, ValueError):
        return -1


def complete_checkpoints(run_dir: Path) -> list[Path]:
    folder = run_dir / CHECKPOINTS
    if not folder.is_dir():
        return []
    done = [p for p in folder.glob("checkpoint-*") if (p / COMPLETE_MARKER).is_file()]
    return sorted(done, key=checkpoint_step)


def newest_checkpoint(run_dir: Path) -> Path | None:
    done = complete_checkpoints(run_dir)
    return done[-1] if done else None


@dataclass
class RunInfo:
    path: Path
    history: RunHistory
    alive: bool

    @property
    def state(self) -> str:
        if self.alive:
            return "paused" if self.history.paused else "running"
        if self.history.finished:
            return str(self.history.finished.get("outcome"))
        return "interrupted" if self.history.started else "empty"


def list_runs(output_dir: Path) -> list[RunInfo]:
    """Run directories under output_dir, newest first."""
    if not output_dir.is_dir():
        return []
    runs = [p for p in output_dir.iterdir() if p.is_dir() and is_run_dir(p)]
    runs.sort(key=lambda p: (p / EVENTS_FILE).stat().st_mtime if (p / EVENTS_FILE).exists() else 0, reverse=True)
    return [RunInfo(p, read_history(p), engine_pid(p) is not None) for p in runs]

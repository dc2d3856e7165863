"""Start, resume and export runs as their own processes (UI-free core; imports nothing heavy).

The engine runs as `python -m rl_studio.engine RUN_DIR` in a new session (so a closed terminal or
a dropped SSH connection does not end it), with stdout and stderr appended to RUN_DIR/engine.log.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from rl_studio.config import RunConfig
from rl_studio.config import load as load_config
from rl_studio.errors import StudioError
from rl_studio.rundir import CONFIG_FILE, LOG_FILE, claim_new, engine_pid, is_run_dir

EXPORT_KINDS = ("adapter", "merged-16bit", "merged-4bit", "gguf", "push")


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONUNBUFFERED"] = "1"
    env.setdefault("TOKENIZERS_PARALLELISM", "false")
    # the engine must import this checkout even when started from elsewhere
    root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def spawn_engine(run_dir: Path, *, resume: bool = False) -> subprocess.Popen:
    cfg = load_config(run_dir / CONFIG_FILE)
    if cfg.distributed.num_processes > 1 or cfg.distributed.hosts:
        from rl_studio.distributed import launch_command

        cmd = launch_command(cfg, run_dir, resume=resume)
    else:
        cmd = [sys.executable, "-m", "rl_studio.engine", str(run_dir)] + (["--resume"] if resume else [])
    log = open(run_dir / LOG_FILE, "ab")  # noqa: SIM115 - handed to the child
    try:
        return subprocess.Popen(
            cmd,
            cwd=str(run_dir),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=_env(),
        )
    finally:
        log.close()


def start_run(cfg: RunConfig) -> Path:
    """Claim a fresh run directory, write the resolved config into it and start the engine."""
    cfg = cfg.absolutized()
    run_dir = cfg.run_dir
    claim_new(run_dir)
    cfg.save(run_dir / CONFIG_FILE)
    spawn_engine(run_dir)
    return run_dir


def resume_run(run_dir: Path) -> Path:
    """Continue a run from its newest complete checkpoint, with the config it was started with."""
    run_dir = Path(run_dir).resolve()
    if not is_run_dir(run_dir) or not (run_dir / CONFIG_FILE).is_file():
        raise StudioError(f"{run_dir} is not a run directory (no {CONFIG_FILE}); give the path of runs/<name>")
    pid = engine_pid(run_dir)
    if pid is not None:
        raise StudioError(f"the run in {run_dir} is still running (pid {pid}); attach to it with `rl-studio attach`")
    spawn_engine(run_dir, resume=True)
    return run_dir


def start_export(
    run_dir: Path, kind: str, target: str, *, private: bool = False, quant: str = "q8_0"
) -> subprocess.Popen:
    """Run `rl-studio export` as a child process; progress arrives as `export` events.

    `target` is the output directory (the repo id for push); `quant` is the GGUF quantization."""
    if kind not in EXPORT_KINDS:
        raise StudioError(f"unknown export {kind!r}; one of {', '.join(EXPORT_KINDS)}")
    cmd = [sys.executable, "-m", "rl_studio", "export", str(run_dir)]
    cmd += ["--gguf", quant, target] if kind == "gguf" else [f"--{kind}", target]
    if private:
        cmd.append("--private")
    return subprocess.Popen(
        cmd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        env=_env(),
    )

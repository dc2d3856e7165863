"""`rl-studio train`: check, start the engine process, then follow it or detach (UI-free core)."""

from __future__ import annotations

import sys
from pathlib import Path

from rl_studio import config as config_mod
from rl_studio import control
from rl_studio.errors import StudioError
from rl_studio.follow import follow
from rl_studio.launch import resume_run, start_run
from rl_studio.rundir import check_free, engine_pid


def preflight(cfg: config_mod.RunConfig) -> None:
    """Run every input check the engine would, in this process, before anything is written."""
    from rl_studio.engine.run import prepare

    prepare(cfg, cfg.run_dir, num_processes=cfg.distributed.num_processes)


def train(config: str | None, overrides: list[str], *, resume: str | None, detach: bool, check: bool = True) -> int:
    if resume:
        if config:
            raise StudioError("give either CONFIG or --resume RUN_DIR, not both (a resumed run keeps its config)")
        run_dir = resume_run(Path(resume))
        print(f"resuming {run_dir}", flush=True)
    else:
        if not config:
            raise StudioError("train needs a config file: rl-studio train CONFIG (write one with `rl-studio init`)")
        cfg = config_mod.load(config, overrides)
        check_free(cfg.run_dir)  # refuse another run's directory before the slow checks
        if check:
            print("checking the config, dataset, rewards and model...", flush=True)
            preflight(cfg)
        run_dir = start_run(cfg)
        print(f"started {run_dir}", flush=True)
    if detach:
        print(f"detached; follow with `rl-studio attach {run_dir}` or `rl-studio follow {run_dir}`")
        return 0
    return follow_foreground(run_dir)


def _ask_on_interrupt(run_dir: Path) -> str:
    if not sys.stdin.isatty():
        return "detach"
    try:
        answer = input("\n[s]top and save, [d]etach (the run goes on), or [c]ontinue following? ").strip().lower()
    except (EOFError, KeyboardInterrupt):
        return "detach"
    return {"s": "stop", "d": "detach", "c": "continue"}.get(answer[:1], "continue")


def follow_foreground(run_dir: Path) -> int:
    from_start = True
    while True:
        try:
            finished = follow(run_dir, from_start=from_start)
            break
        except KeyboardInterrupt:
            from_start = False
            choice = _ask_on_interrupt(run_dir)
            if choice == "detach":
                print(f"detached; the run goes on. Attach again with `rl-studio attach {run_dir}`")
                return 0
            if choice == "stop" and engine_pid(run_dir) is not None:
                control.send(run_dir, "stop")
                print("stopping at the next step boundary and saving a checkpoint...")
    if finished is None:
        print(f"rl-studio: the engine stopped without finishing; see {run_dir / 'engine.log'} "
              f"and resume with `rl-studio train --resume {run_dir}`", file=sys.stderr)
        return 1
    outcome = finished.get("outcome")
    if outcome == "failed":
        if finished.get("user_error"):
            print(f"rl-studio: error: {finished.get('error')}", file=sys.stderr)
            return 2
        print(f"rl-studio: the run failed at {finished.get('where')}: {finished.get('error')} "
              f"(full traceback in {run_dir / 'engine.log'})", file=sys.stderr)
        return 1
    print(f"run {outcome}: {run_dir}")
    return 0

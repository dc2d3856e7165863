"""`rl-studio runs`: a table of runs and their state (UI-free core)."""

from __future__ import annotations

from pathlib import Path

from rl_studio.rundir import list_runs


def print_runs(output_dir: Path) -> int:
    runs = list_runs(output_dir)
    if not runs:
        print(f"no runs in {output_dir}")
        return 0
    for r in runs:
        last = r.history.last_step
        step = f"{last['step']}/{last['max_steps']}" if last else "-"
        reward = last["metrics"].get("reward") if last else None
        rtxt = f"{reward:.3f}" if isinstance(reward, int | float) else "-"
        print(f"{r.path.name:30} {r.state:12} step {step:>10}  reward {rtxt}")
    return 0

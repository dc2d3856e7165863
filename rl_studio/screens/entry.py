"""Entry points the CLI calls: the wizard, attach and the plain-prompt init. Each returns an exit code."""

from __future__ import annotations

import sys
from pathlib import Path


def run_attach(run_dir: Path | None, output_dir: Path) -> int:
    """Open the dashboard of RUN_DIR, or a picker of the runs under output_dir."""
    from rl_studio.rundir import is_run_dir

    if run_dir is not None and not is_run_dir(Path(run_dir)):
        print(f"{run_dir} is not a run directory (no config.toml or events.jsonl); "
              f"list runs with `rl-studio attach` (looks in {output_dir})", file=sys.stderr)
        return 2
    from rl_studio.screens.app import StudioApp

    if run_dir is not None:
        from rl_studio.screens.dashboard import DashboardScreen

        app = StudioApp(lambda: DashboardScreen(Path(run_dir)))
    else:
        from rl_studio.screens.run_picker import RunPickerScreen

        app = StudioApp(lambda: RunPickerScreen(Path(output_dir)))
    app.run()
    return app.return_code or 0


def run_wizard(output_dir: Path) -> int:
    """The full-screen wizard: model, LoRA, dataset, rewards, training, review, then the dashboard."""
    from rl_studio.screens.app import StudioApp
    from rl_studio.screens.wizard import first_step

    app = StudioApp(lambda: first_step(Path(output_dir)))
    app.run()
    return app.return_code or 0


def run_init(config_path: Path) -> int:
    """The same questions with plain prompts (questionary); writes CONFIG_PATH, or nothing on Ctrl-C."""
    from rl_studio.screens.init_prompt import run

    return run(Path(config_path))

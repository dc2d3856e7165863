"""The core calls the screens make (probes, launch, GPU stats), behind one object tests can replace.

Each method imports its core module lazily: probes run heavy work in subprocesses, so nothing here
pulls torch or transformers into the app process.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from rl_studio.config import BUILTIN_MODEL, RunConfig


class Services:
    def grpo_fields(self) -> list[dict[str, Any]]:
        from rl_studio import probe

        return probe.grpo_fields()

    def preview_dataset(self, cfg: RunConfig, n: int = 3) -> dict[str, Any]:
        from rl_studio import probe

        return probe.preview_dataset(cfg, n=n)

    def try_rewards(self, cfg: RunConfig, completions: list[str], row: int = 0) -> dict[str, Any]:
        from rl_studio import probe

        return probe.try_rewards(cfg, completions, row=row)

    def generate_and_score(self, cfg: RunConfig, n: int = 4) -> dict[str, Any]:
        from rl_studio import probe

        return probe.generate_and_score(cfg, n=n)

    def model_info(self, cfg: RunConfig) -> dict[str, Any]:
        from rl_studio import probe

        return probe.model_info(cfg)

    def preflight(self, cfg: RunConfig) -> None:
        """Every input check `rl-studio train` makes (model, dataset, columns, rewards, engine)."""
        from rl_studio import probe

        probe.preflight(cfg)

    def reward_functions_in(self, path: Path) -> list[str]:
        from rl_studio import probe

        return probe.reward_functions_in(path)

    def cached_models(self) -> list[str]:
        try:
            from rl_studio import probe

            found = probe.cached_models()
        except ImportError:
            found = []
        return [BUILTIN_MODEL] + [m for m in found if m != BUILTIN_MODEL]

    def gpu_snapshot(self) -> list[dict[str, Any]]:
        try:
            from rl_studio import gpu
        except ImportError:
            return []
        return gpu.snapshot()

    def start_run(self, cfg: RunConfig) -> Path:
        from rl_studio import launch

        return launch.start_run(cfg)

    def resume_run(self, run_dir: Path) -> Path:
        from rl_studio import launch

        return launch.resume_run(run_dir)

    def start_export(self, run_dir: Path, kind: str, target: str, private: bool = False) -> subprocess.Popen:
        from rl_studio import launch

        return launch.start_export(run_dir, kind, target, private=private)

"""Fake core services for UI tests: instant, recorded, no subprocesses."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from rl_studio.config import BUILTIN_MODEL, RunConfig
from rl_studio.errors import StudioError
from rl_studio.screens.services import Services

GRPO_FIELDS = [
    {"name": "beta", "type": "float", "default": 0.0, "help": "KL coefficient."},
    {"name": "epsilon", "type": "float", "default": 0.2, "help": "Clipping epsilon."},
    {"name": "loss_type", "type": "str", "default": "dapo", "help": "Loss formulation."},
    {"name": "num_generations", "type": "int", "default": 8, "help": "Completions per prompt."},
    {"name": "top_p", "type": "float", "default": 1.0, "help": "Nucleus sampling."},
]


class FakeServices(Services):
    def __init__(self, run_dir: Path | None = None) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.run_dir = run_dir
        self.fail_start: str | None = None

    def grpo_fields(self):
        self.calls.append(("grpo_fields", None))
        return [dict(f) for f in GRPO_FIELDS]

    def preview_dataset(self, cfg: RunConfig, n: int = 3):
        self.calls.append(("preview_dataset", cfg.dataset.source))
        if cfg.dataset.source == "missing/dataset":
            raise StudioError("dataset missing/dataset not found on the Hub")
        return {"columns": ["question", "answer"],
                "rows": [{"question": "What is 2 + 3?", "answer": "5"}],
                "prompt_text": "<|im_start|>user\nWhat is 2 + 3?<|im_end|>", "prompt_tokens": 17}

    def try_rewards(self, cfg: RunConfig, completions: list[str], row: int = 0):
        self.calls.append(("try_rewards", list(completions)))
        names = [r.label for r in cfg.rewards]
        return {"names": names, "scores": [[1.0 if "5" in c else 0.0 for _ in names] for c in completions]}

    def generate_and_score(self, cfg: RunConfig, n: int = 4):
        self.calls.append(("generate_and_score", n))
        completions = [f"The answer is \\boxed{{{5 + i}}}" for i in range(n)]
        return {"completions": completions, **self.try_rewards(cfg, completions)}

    def model_info(self, cfg: RunConfig):
        self.calls.append(("model_info", cfg.model.name))
        return {"params": 134_515_008, "trainable_params": 4_884_480 * cfg.lora.r // 16, "est_gpu_gib": 1.9}

    def preflight(self, cfg: RunConfig) -> None:
        self.calls.append(("preflight", cfg.model.engine))
        if cfg.model.engine == "unsloth":
            raise StudioError("engine unsloth needs an NVIDIA GPU and none is visible here; set model.engine = \"trl\"")

    def reward_functions_in(self, path: Path):
        self.calls.append(("reward_functions_in", str(path)))
        return ["format_reward", "length_reward"]

    def cached_models(self):
        return [BUILTIN_MODEL, "Qwen/Qwen2.5-0.5B-Instruct"]

    def gpu_snapshot(self):
        return []

    def start_run(self, cfg: RunConfig) -> Path:
        self.calls.append(("start_run", cfg.to_toml()))
        if self.fail_start:
            raise StudioError(self.fail_start)
        assert self.run_dir is not None
        return self.run_dir

    def resume_run(self, run_dir: Path) -> Path:
        self.calls.append(("resume_run", str(run_dir)))
        return run_dir

    def start_export(self, run_dir: Path, kind: str, target: str, private: bool = False):
        self.calls.append(("start_export", (kind, target) + (("private",) if private else ())))
        return subprocess.Popen([sys.executable, "-c", "pass"])

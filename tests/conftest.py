"""Shared fixtures: a tiny random model built once per session, run configs, and the CLI as a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

ROOT = Path(__file__).resolve().parent.parent
ENV = {
    **os.environ,
    "PYTHONUNBUFFERED": "1",
    "TOKENIZERS_PARALLELISM": "false",
    "HF_HUB_OFFLINE": "1",
    "OMP_NUM_THREADS": "1",
}


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    from tiny_model import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("models") / "tiny-qwen2")


@pytest.fixture(scope="session")
def tiny_llama(tmp_path_factory) -> Path:
    from tiny_model import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("models") / "tiny-llama", arch="llama")


def write_config(path: Path, model: Path, *, steps: int = 3, extra: str = "", rewards: str | None = None,
                 grpo: str = "", name: str = "run", lora: str = "r = 8\nalpha = 16", save_steps: int = 2) -> Path:
    rewards = rewards if rewards is not None else (
        '[[rewards]]\nname = "correctness"\n\n[[rewards]]\nname = "boxed_format"\nweight = 0.5\n'
    )
    path.write_text(f"""
[model]
name = "{model}"
engine = "trl"
max_seq_length = 256

[lora]
{lora}

[dataset]
source = "builtin:arithmetic"
prompt_column = "question"
answer_column = "answer"
system_prompt = "Answer as \\\\boxed{{N}}."
max_samples = 64

{rewards}

[grpo]
num_generations = 4
per_device_train_batch_size = 4
max_completion_length = 12
max_steps = {steps}
learning_rate = 1e-3
{grpo}

[run]
name = "{name}"
output_dir = "runs"
save_steps = {save_steps}
{extra}
""")
    return path


def cli(*args: str, cwd: Path, timeout: float = 600, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "rl_studio", *args],
        cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env or ENV,
    )


def wait_for(predicate, timeout: float = 300, interval: float = 0.2):
    end = time.time() + timeout
    while time.time() < end:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {predicate}")

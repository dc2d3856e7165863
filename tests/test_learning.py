"""GRPO through `rl-studio train` really learns: a full fine-tune of the tiny model raises a user reward."""

from __future__ import annotations

import pytest
from conftest import cli, write_config

from rl_studio.events import read_history

pytestmark = pytest.mark.slow

REWARD = '''
def digits(completions, **kwargs):
    """Share of the completion's characters that are digits."""
    out = []
    for c in completions:
        text = c[0]["content"]
        out.append(sum(ch.isdigit() for ch in text) / max(1, len(text)))
    return out
'''


def test_reward_rises(tiny_model, tmp_path):
    (tmp_path / "rewards.py").write_text(REWARD)
    write_config(
        tmp_path / "cfg.toml", tiny_model, steps=40, name="learn",
        rewards='[[rewards]]\npath = "rewards.py:digits"\n',
        lora="enabled = false",
        grpo="temperature = 1.0\nbeta = 0.0\nloss_type = \"dr_grpo\"",
        save_steps=100,
    )
    proc = cli("train", "cfg.toml", "--set", "grpo.learning_rate=1e-2", "--set", "grpo.max_completion_length=16",
               "--set", "grpo.num_generations=8", "--set", "grpo.per_device_train_batch_size=8",
               cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    _, rewards = read_history(tmp_path / "runs" / "learn").series("reward")
    assert len(rewards) == 40
    first, last = sum(rewards[:10]) / 10, sum(rewards[-10:]) / 10
    assert last > first + 0.15, (first, last, rewards)

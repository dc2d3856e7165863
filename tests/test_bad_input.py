"""Every bad input ends in one line naming the problem and the fix, exit code 2, no traceback, nothing overwritten."""

from __future__ import annotations

import hashlib

import pytest
from conftest import cli, write_config

pytestmark = pytest.mark.slow

BAD_REWARDS = '''
def short(completions, **kwargs):
    return [1.0]

def nan(completions, **kwargs):
    return [float("nan")] * len(completions)

def oom(completions, **kwargs):
    import torch
    raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

def positional(completions):
    return [0.0] * len(completions)
'''

CASES = {
    "model path missing": (dict(), ["--set", "model.name=./no/such/model"], "model path ./no/such/model not found"),
    "unknown hub model": (dict(), ["--set", "model.name=nobody/no-such-model"], "unknown model 'nobody/no-such-model'"),
    "dataset file missing": (dict(), ["--set", "dataset.source=data/missing.jsonl"], "dataset file"),
    "column missing": (dict(), ["--set", "dataset.prompt_column=query"],
                       "no column 'query' (dataset.prompt_column); its columns are: question, answer, solution"),
    "reward file missing": (dict(rewards='[[rewards]]\npath = "nothere.py:f"\n'), [], "reward file"),
    "reward without function": (dict(rewards='[[rewards]]\npath = "bad_rewards.py:missing"\n'), [],
                                "has no function 'missing'; functions in it: short, nan, oom, positional"),
    "reward wrong signature": (dict(rewards='[[rewards]]\npath = "bad_rewards.py:positional"\n'), [],
                               "must accept **kwargs"),
    "reward wrong count": (dict(rewards='[[rewards]]\npath = "bad_rewards.py:short"\n'), [],
                           "reward 'short' returned 1 values for 4 completions"),
    "reward NaN": (dict(rewards='[[rewards]]\npath = "bad_rewards.py:nan"\n'), [], "reward 'nan' returned NaN"),
    "GRPOConfig combination": (dict(), ["--set", "grpo.num_generations=3"],
                               "grpo.per_device_train_batch_size = 3"),
    "unknown GRPOConfig field": (dict(), ["--set", "grpo.learning_rat=1e-4"], "did you mean grpo.learning_rate?"),
    "unsloth without GPU": (dict(), ["--set", "model.engine=unsloth"], "engine unsloth needs an NVIDIA GPU"),
    "out of GPU memory": (dict(rewards='[[rewards]]\npath = "bad_rewards.py:oom"\n'), [],
                          "out of GPU memory: lower grpo.per_device_train_batch_size"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_is_one_line(case, tiny_model, tmp_path):
    config_kw, args, expected = CASES[case]
    (tmp_path / "bad_rewards.py").write_text(BAD_REWARDS)
    write_config(tmp_path / "cfg.toml", tiny_model, steps=2, **config_kw)
    proc = cli("train", "cfg.toml", *args, cwd=tmp_path, timeout=300)
    err = proc.stderr.strip()
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stdout + proc.stderr
    assert len(err.splitlines()) == 1, err
    assert err.startswith("rl-studio: error: ") and expected in err, err


def _tree_digest(path):
    h = hashlib.sha256()
    for p in sorted(path.rglob("*")):
        if p.is_file():
            h.update(str(p.relative_to(path)).encode() + p.read_bytes())
    return h.hexdigest()


def test_output_dir_of_another_run_is_left_alone(tiny_model, tmp_path):
    write_config(tmp_path / "cfg.toml", tiny_model, steps=1)
    assert cli("train", "cfg.toml", cwd=tmp_path).returncode == 0
    run_dir = tmp_path / "runs" / "run"
    before = _tree_digest(run_dir)
    proc = cli("train", "cfg.toml", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        f"rl-studio: error: {run_dir} holds another run; choose another run.name (--set run.name=NEW) "
        f"or continue it with `rl-studio train --resume {run_dir}`"
    )
    assert _tree_digest(run_dir) == before


def test_cli_usage_errors_are_one_line(tmp_path):
    for args in (["train"], ["train", "missing.toml"], ["attach", "nowhere"], ["export", "nowhere", "--adapter", "x"]):
        proc = cli(*args, cwd=tmp_path)
        assert proc.returncode == 2, args
        assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr, proc.stderr


def test_output_dir_before_or_after_the_subcommand(tmp_path):
    (tmp_path / "elsewhere").mkdir()
    for args in (["--output-dir", "elsewhere", "runs"], ["runs", "--output-dir", "elsewhere"]):
        proc = cli(*args, cwd=tmp_path)
        assert proc.returncode == 0 and proc.stdout.strip() == "no runs in elsewhere", (args, proc.stdout, proc.stderr)

"""The run config: the issue's example loads as written, overrides, relative paths, errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from rl_studio import config
from rl_studio.errors import StudioError

EXAMPLE = r'''
[model]
name = "builtin:smollm2-135m-instruct"   # or a hub id, a local model dir, a local .gguf file
engine = "auto"                           # auto | unsloth | trl  (auto: unsloth on an NVIDIA GPU when installed, else trl)
load_in_4bit = false
max_seq_length = 1024
fast_inference = false                    # vLLM-class generation where available
gpu_memory_utilization = 0.6

[lora]
r = 16
alpha = 16
dropout = 0.0
target_modules = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]

[dataset]
source = "builtin:arithmetic"             # or a hub id, or a local .json/.jsonl/.csv/.parquet file
split = "train"
prompt_column = "question"
answer_column = "answer"                  # optional; passed to rewards like every other column
system_prompt = "Think inside <think></think>, then give the final answer as \\boxed{N}."
max_samples = 512

[[rewards]]
name = "correctness"                      # a built-in
weight = 1.0

[[rewards]]
path = "my_rewards.py:format_reward"      # user code, TRL's calling convention
weight = 0.5

[grpo]                                    # any GRPOConfig field, validated by GRPOConfig itself
num_generations = 8
max_completion_length = 256
learning_rate = 5e-6
beta = 0.0
loss_type = "dr_grpo"
max_steps = 200

[run]
name = "smollm2-arith"
output_dir = "runs"
save_steps = 50
seed = 3407
'''


def test_issue_example_loads_unchanged(tmp_path: Path):
    (tmp_path / "cfg.toml").write_text(EXAMPLE)
    cfg = config.load(tmp_path / "cfg.toml")
    assert cfg.model.name == "builtin:smollm2-135m-instruct"
    assert cfg.lora.r == 16 and cfg.lora.target_modules[-1] == "down_proj"
    assert cfg.dataset.system_prompt.endswith("\\boxed{N}.")
    assert [r.label for r in cfg.rewards] == ["correctness", "format_reward"]
    assert cfg.grpo == {"num_generations": 8, "max_completion_length": 256, "learning_rate": 5e-6,
                        "beta": 0.0, "loss_type": "dr_grpo", "max_steps": 200}
    # relative paths are relative to the file, not to the working directory
    assert cfg.run_dir == tmp_path / "runs" / "smollm2-arith"
    abs_cfg = cfg.absolutized()
    assert abs_cfg.rewards[1].path == f"{tmp_path / 'my_rewards.py'}:format_reward"


def test_round_trip_is_stable(tmp_path: Path):
    (tmp_path / "cfg.toml").write_text(EXAMPLE)
    cfg = config.load(tmp_path / "cfg.toml")
    cfg.save(tmp_path / "again.toml")
    again = config.load(tmp_path / "again.toml")
    assert again.to_dict() == cfg.to_dict()


def test_set_overrides(tmp_path: Path):
    (tmp_path / "cfg.toml").write_text(EXAMPLE)
    cfg = config.load(tmp_path / "cfg.toml", ["grpo.learning_rate=1e-5", "run.name=other", "model.load_in_4bit=true",
                                              "grpo.temperature=0.7"])
    assert cfg.grpo["learning_rate"] == 1e-5 and cfg.grpo["temperature"] == 0.7
    assert cfg.run.name == "other" and cfg.model.load_in_4bit is True


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("[lora]", "[lora]\nrank = 4"), "unknown key lora.rank"),
        (('engine = "auto"', 'engine = "fast"'), "model.engine must be one of"),
        (('engine = "auto"', 'engine = "auto"\ngeneration_memory = "small"'), "generation_memory must be auto, lean or fast"),
        (("r = 16", 'r = "sixteen"'), "lora.r must be an integer"),
        (("[run]", "[runn]\nx = 1\n[run]"), "unknown table [runn]"),
        (('name = "correctness"', 'name = "correctness"\npath = "x.py:f"'), "exactly one of"),
    ],
)
def test_bad_config_names_the_key(tmp_path: Path, edit, message):
    (tmp_path / "cfg.toml").write_text(EXAMPLE.replace(*edit, 1))
    with pytest.raises(StudioError, match=message.replace("[", r"\[").replace("]", r"\]")):
        config.load(tmp_path / "cfg.toml")


def test_bad_override_and_missing_file(tmp_path: Path):
    (tmp_path / "cfg.toml").write_text(EXAMPLE)
    with pytest.raises(StudioError, match="KEY=VALUE"):
        config.load(tmp_path / "cfg.toml", ["grpo.learning_rate"])
    with pytest.raises(StudioError, match="rl-studio init"):
        config.load(tmp_path / "nope.toml")

"""Built-in rewards, TRL's rewards by name, user reward files and the capturing wrapper."""

from __future__ import annotations

import asyncio
import math
from pathlib import Path

import pytest

from rl_studio.config import RewardSpec, RunConfig
from rl_studio.errors import StudioError
from rl_studio.rewards.builtin import boxed_format, make_correctness, think_format
from rl_studio.rewards.capture import RewardError, SampleCapture, build_samples
from rl_studio.rewards.resolve import resolve_rewards

COLUMNS = ["answer", "solution"]


def msgs(*texts: str):
    return [[{"role": "assistant", "content": t}] for t in texts]


def test_correctness_reads_every_answer_form():
    correct = make_correctness("answer")
    completions = msgs("so \\boxed{12}", "Answer: 12", "work...\n#### 12", "\\boxed{13}", "\\boxed{13} then 12",
                       "\\boxed{1,200}", "\\boxed{\\frac{24}{2}}", "3 + 9 = 12 apples.", "12, no: 13", "none")
    answers = ["12", "12", "12", "12", "12", "1200", "12", "12", "12", "12"]
    # an explicit form wins over other numbers; without one, the last number is the answer
    assert correct(completions=completions, answer=answers) == [1.0, 1.0, 1.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 0.0]
    # GSM8K-style reference answers ('steps #### N') are read too
    assert correct(completions=msgs("\\boxed{7}"), answer=["3 + 4 = 7\n#### 7"]) == [1.0]


def test_format_rewards():
    assert think_format(completions=["<think>a</think> 5", "x <think>a</think>", "5"]) == [1.0, 0.5, 0.0]
    assert boxed_format(completions=["\\boxed{5}", "\\boxed{x}", "\\boxed{1} \\boxed{2}", "5"]) == [1.0, 0.5, 0.5, 0.0]


def _cfg(tmp_path: Path, *specs: RewardSpec, grpo=None) -> RunConfig:
    cfg = RunConfig(base_dir=tmp_path)
    cfg.rewards = list(specs)
    cfg.grpo = grpo or {"max_completion_length": 8}
    cfg.dataset.answer_column = "answer"
    return cfg


def test_overlong_is_trls_soft_punishment(tmp_path: Path):
    (r,) = resolve_rewards(_cfg(tmp_path, RewardSpec(name="overlong")), COLUMNS)
    assert r.func(completions=["a"] * 3, completion_ids=[[1] * 6, [1] * 7, [1] * 9]) == [0.0, -0.5, -1.0]


def test_trl_reward_by_name(tmp_path: Path):
    (r,) = resolve_rewards(_cfg(tmp_path, RewardSpec(name="trl.rewards.think_format_reward")), COLUMNS)
    assert r.name == "think_format_reward"
    assert r.func(completions=msgs("<think>\nx\n</think>\ny", "y")) == [1.0, 0.0]


USER = '''
import asyncio

def format_reward(prompts, completions, answer, **kwargs):
    return [1.0 if "boxed" in c[0]["content"] else 0.0 for c in completions]

async def slow_reward(completions, **kwargs):
    await asyncio.sleep(0)
    return [float(len(c[0]["content"])) for c in completions]

def positional_only(completions):
    return [0.0 for _ in completions]

def needs_secret(completions, secret, **kwargs):
    return [0.0 for _ in completions]
'''


def test_user_file_unchanged_and_async(tmp_path: Path):
    (tmp_path / "my_rewards.py").write_text(USER)
    rewards = resolve_rewards(
        _cfg(tmp_path, RewardSpec(path="my_rewards.py:format_reward"), RewardSpec(path="my_rewards.py:slow_reward")),
        COLUMNS,
    )
    cap = SampleCapture(rewards)
    wrapped = [cap.wrap(r) for r in rewards]
    assert [w.__name__ for w in wrapped] == ["format_reward", "slow_reward"]
    assert asyncio.iscoroutinefunction(wrapped[1])
    comps = msgs("\\boxed{1}", "nope")
    kw = dict(prompts=[[{"role": "user", "content": "q"}]] * 2, completions=comps, completion_ids=[[1, 2], [3]],
              answer=["1", "1"], solution=["", ""], trainer_state=None)
    assert wrapped[0](**kw) == [1.0, 0.0]
    assert asyncio.run(wrapped[1](**kw)) == [9.0, 4.0]
    (batch,) = cap.drain()
    assert batch["scores"] == {"format_reward": [1.0, 0.0], "slow_reward": [9.0, 4.0]}
    assert cap.take_tokens() == 3


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        ("missing.py:f", None, "not found"),
        ("bad.py:f", "def f(:\n", "syntax error at line 1"),
        ("ok.py:nothere", "def f(completions, **kw):\n    return []\n", "no function 'nothere'; functions in it: f"),
        ("ok.py:f", "def f(completions):\n    return []\n", "must accept \\*\\*kwargs"),
        ("ok.py:f", "def f(completions, secret, **kw):\n    return []\n", "requires 'secret'"),
        ("ok.py:f", "raise RuntimeError('boom')\ndef f(**kw):\n    return []\n", "failed to import: RuntimeError: boom"),
    ],
)
def test_user_file_errors_are_one_line(tmp_path: Path, path, body, message):
    if body is not None:
        (tmp_path / path.split(":")[0]).write_text(body)
    with pytest.raises(StudioError, match=message) as info:
        resolve_rewards(_cfg(tmp_path, RewardSpec(path=path)), COLUMNS)
    assert "\n" not in str(info.value)


def test_unknown_builtin_and_missing_answer_column(tmp_path: Path):
    with pytest.raises(StudioError, match="built-ins: correctness"):
        resolve_rewards(_cfg(tmp_path, RewardSpec(name="corectness")), COLUMNS)
    with pytest.raises(StudioError, match="set dataset.answer_column to one of question"):
        resolve_rewards(_cfg(tmp_path, RewardSpec(name="correctness")), ["question"])


def test_wrapper_rejects_wrong_count_and_nan(tmp_path: Path):
    (tmp_path / "r.py").write_text(
        "def short(completions, **kw):\n    return [1.0]\n"
        "def nan(completions, **kw):\n    return [float('nan')] * len(completions)\n"
        "def none_ok(completions, **kw):\n    return [None] * len(completions)\n"
    )
    rewards = resolve_rewards(
        _cfg(tmp_path, RewardSpec(path="r.py:short"), RewardSpec(path="r.py:nan"), RewardSpec(path="r.py:none_ok")),
        COLUMNS,
    )
    cap = SampleCapture(rewards)
    kw = dict(prompts=["p", "p"], completions=["a", "b"], completion_ids=[[1], [2]])
    with pytest.raises(RewardError, match="'short' returned 1 values for 2 completions"):
        cap.wrap(rewards[0])(**kw)
    with pytest.raises(RewardError, match="'nan' returned NaN for completion 0; return None"):
        cap.wrap(rewards[1])(**kw)
    assert cap.wrap(rewards[2])(**kw) == [None, None]


def test_samples_follow_trls_advantage_formula():
    batch = {"prompts": ["p"] * 4, "completions": ["a", "b", "c", "d"],
             "scores": {"x": [1.0, 0.0, 1.0, None], "y": [0.0, 0.0, 1.0, None]}}
    out = build_samples(batch, ["x", "y"], [1.0, 0.5], num_generations=4, scale_rewards="group", keep=16)
    totals = [s["total"] for s in out]
    assert totals[:3] == [1.0, 0.0, 1.5] and math.isnan(totals[3])
    mean = 2.5 / 3
    std = math.sqrt(sum((t - mean) ** 2 for t in totals[:3]) / 2)
    assert out[0]["advantage"] == pytest.approx((1.0 - mean) / (std + 1e-4))
    assert out[3]["advantage"] == 0.0
    none = build_samples(batch, ["x", "y"], [1.0, 0.5], num_generations=4, scale_rewards="none", keep=16)
    assert none[2]["advantage"] == pytest.approx(1.5 - mean)

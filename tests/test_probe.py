"""The app's questions answered in a child process: real datasets, tokenizers, rewards and generation."""

from __future__ import annotations

import pytest
from conftest import write_config

from rl_studio import config, probe
from rl_studio.errors import StudioError

pytestmark = pytest.mark.slow


@pytest.fixture
def cfg(tiny_model, tmp_path, monkeypatch):
    monkeypatch.setenv("RL_STUDIO_CACHE", str(tmp_path / "cache"))
    return config.load(write_config(tmp_path / "cfg.toml", tiny_model))


def test_preview_and_model_info(cfg):
    p = probe.preview_dataset(cfg, n=2)
    assert p["columns"] == ["question", "answer", "solution"] and len(p["rows"]) == 2
    assert p["prompt_text"].startswith("<|im_start|>system\nAnswer as \\boxed{N}.<|im_end|>")
    assert p["prompt_text"].endswith("<|im_start|>assistant\n") and p["prompt_tokens"] > 10
    info = probe.model_info(cfg)
    assert info["params"] > 0 and 0 < info["trainable_params"] < info["params"]


def test_rewards_scored_and_sampled(cfg):
    r = probe.try_rewards(cfg, ["so \\boxed{999999}", "nothing"])
    assert r == {"names": ["correctness", "boxed_format"], "scores": [[0.0, 1.0], [0.0, 0.0]]}
    g = probe.generate_and_score(cfg, n=3)
    assert len(g["completions"]) == 3 and len(g["scores"]) == 3 and g["names"] == r["names"]
    assert probe.try_rewards(cfg, g["completions"])["scores"] == g["scores"]


def test_grpo_fields_are_trls_and_cached(cfg):
    fields = probe.grpo_fields()
    by_name = {f["name"]: f for f in fields}
    assert by_name["num_generations"]["default"] == 8 and "Number of generations" in by_name["num_generations"]["help"]
    assert probe.grpo_fields() == fields  # second call from the cache


def test_errors_come_back_as_one_line(cfg):
    cfg.dataset.prompt_column = "query"
    with pytest.raises(StudioError, match="no column 'query'"):
        probe.preview_dataset(cfg)

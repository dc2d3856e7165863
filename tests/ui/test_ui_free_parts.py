"""The UI-free parts of the studio: series store, health findings, presets, keymap, summary, text."""

from __future__ import annotations

import math

import pytest

from rl_studio.errors import StudioError
from rl_studio.events import read_history
from rl_studio.screens.dashboard_text import header_text, log_line, sorted_samples
from rl_studio.screens.health import assess, health_line
from rl_studio.screens.keymap import load_keymap
from rl_studio.screens.presets import PRESETS, apply_preset, detect_preset
from rl_studio.screens.run_model import RunModel
from rl_studio.screens.series import SeriesStore
from rl_studio.summary import render_summary, text_chart, write_summary


def store_of(rows: list[dict]) -> SeriesStore:
    s = SeriesStore()
    for i, m in enumerate(rows, start=1):
        s.add(i, m)
    return s


def test_series_aligns_metrics_that_appear_late_and_truncates_on_resume():
    s = SeriesStore()
    s.add(1, {"reward": 0.1})
    s.add(2, {"reward": 0.2, "kl": 0.5})
    s.add(3, {"reward": 0.3, "kl": 0.6})
    assert len(s.values["kl"]) == 3 and math.isnan(s.values["kl"][0])
    s.add(2, {"reward": 9.0})  # a resume from step 1 replays step 2
    assert list(s.steps) == [1, 2]
    assert s.last("reward", 5) == [0.1, 9.0]


def test_downsample_keeps_bucket_means_and_bounds_the_points():
    s = store_of([{"reward": float(i)} for i in range(1000)])
    xs, ys = s.downsample("reward", 10)
    assert len(xs) == 10
    assert ys[0] == pytest.approx(sum(range(100)) / 100)
    assert xs[0] == pytest.approx((1 + 100) / 2)
    sx, sy = s.downsample("reward", 10, smooth=True)
    assert sy[-1] < ys[-1]  # the EMA lags a rising series


def test_health_flags_each_failure_sign_in_words():
    flat = store_of([{"reward": 0.5, "frac_reward_zero_std": 0.97, "completions/clipped_ratio": 0.8,
                      "entropy": 1.0 if i < 10 else 0.01, "loss": 0.0} for i in range(60)])
    text = " | ".join(str(f) for f in assess(flat, max_completion_length=256))
    assert "no learning signal" in text
    assert "lengths pinned at max" in text
    assert "entropy collapsing" in text
    assert "reward flat" in text
    assert "loss near 0 is normal" in text
    assert text.startswith("WARN")


def test_health_is_ok_when_reward_rises():
    rising = store_of([{"reward": i / 60, "frac_reward_zero_std": 0.2, "entropy": 0.8} for i in range(60)])
    findings = assess(rising)
    assert findings[0].level == "ok" and "rising" in findings[0].text
    assert health_line([]) == "waiting for steps"
    two = [assess(rising)[0], assess(rising)[0]]
    assert health_line(two).startswith("OK 1/2: reward rising")


def test_presets_replace_each_other_and_are_detected():
    grpo = apply_preset({"learning_rate": 1e-5}, "DAPO")
    assert grpo["loss_type"] == "dapo" and grpo["epsilon_high"] == 0.28 and grpo["learning_rate"] == 1e-5
    grpo = apply_preset(grpo, "GSPO")
    assert grpo["importance_sampling_level"] == "sequence" and "mask_truncated_completions" not in grpo
    assert detect_preset(grpo) == "GSPO"
    assert set(PRESETS) == {"GRPO", "Dr.GRPO", "DAPO", "BNPO", "GSPO"}


def test_keymap_reads_flat_and_table_forms_and_rejects_bad_files(tmp_path):
    p = tmp_path / "keymap.toml"
    p.write_text('"dashboard.pause" = "z"\n')
    assert load_keymap(p) == {"dashboard.pause": "z"}
    p.write_text('[keymap]\n"dashboard.stop" = "X"\n')
    assert load_keymap(p) == {"dashboard.stop": "X"}
    p.write_text("dashboard.stop = [")
    with pytest.raises(StudioError, match="not valid TOML"):
        load_keymap(p)
    assert load_keymap(tmp_path / "none.toml") == {}


def test_summary_has_final_and_best_reward_and_charts(recorded_run):
    path = write_summary(recorded_run)
    text = path.read_text()
    h = read_history(recorded_run)
    final = h.last_step["metrics"]["reward"]
    best = max(h.series("reward")[1])
    assert f"| Final reward | {final:.4f} |" in text
    assert f"| Best reward | {best:.4f}" in text
    assert "| Steps | 60 / 60 |" in text and "## Total reward" in text and "## KL" in text
    assert "checkpoint-50" in text
    assert render_summary(h, "x").count("```") == 10  # five charts


def test_text_chart_spans_min_to_max():
    chart = text_chart(list(range(1, 101)), [float(i) for i in range(100)], width=20, height=4)
    rows = chart.splitlines()
    assert rows[0].strip().startswith("97 |") and rows[3].strip().startswith("2 |")  # bucket means of 5
    assert rows[0].endswith("█") and rows[3][12] in "▁▂"


def test_header_and_log_read_as_words(recorded_run):
    m = RunModel(recorded_run)
    from rl_studio.events import EventTail

    m.apply(EventTail(recorded_run).read_new())
    line1, line2 = header_text(m)
    assert "smollm2-arith" in line1 and "COMPLETED" in line1 and "H100" in line1
    assert "step 60/60" in line2 and "100%" in line2 and "tok/s" in line2
    warn = next(e for e in m.history.log if e["type"] == "warning")
    assert "WARN" in log_line(warn, m.history.started["time"])


def test_samples_sort_best_and_worst():
    rows = [{"total": 0.5}, {"total": 1.5}, {"total": -1.0}]
    assert [r["total"] for r in sorted_samples(rows, "best")] == [1.5, 0.5, -1.0]
    assert [r["total"] for r in sorted_samples(rows, "worst")] == [-1.0, 0.5, 1.5]


def test_block_downsampling_matches_bucket_means_and_survives_a_resume():
    import random

    rng = random.Random(0)
    s = SeriesStore()
    for i in range(1, 40_001):
        s.add(i, {"reward": rng.random(), **({"kl": 0.5} if i % 3 else {})})
    xs, ys = s.downsample("reward", 100)
    assert len(ys) == 100
    # buckets are whole 64-step blocks (625 blocks / 100 buckets): compare with plain means over the same steps
    edges = [b * 625 // 100 * 64 for b in range(101)]
    plain = [sum(s.values["reward"][lo:hi]) / (hi - lo) for lo, hi in zip(edges, edges[1:], strict=False)]
    assert ys == pytest.approx(plain)
    assert xs[0] == pytest.approx((1 + 384) / 2)
    assert s.downsample("kl", 100)[1][0] == pytest.approx(0.5)  # NaN steps skipped
    s.add(20_001, {"reward": 10.0})  # resume from step 20,000
    assert len(s) == 20_001 and s.last("reward") == [10.0]
    xs, ys = s.downsample("reward", 10)
    assert xs[-1] > 18_000 and len(s.block_count["reward"]) == (20_001 + 63) // 64
    assert sum(s.block_count["reward"]) == 20_001 and sum(s.block_count["kl"]) == 20_000 - 20_000 // 3


def test_run_model_keeps_every_metric_but_only_recent_whole_events(tmp_path):
    import random

    from tests.ui.synthetic_run import samples_for, step_event

    rng = random.Random(0)
    m = RunModel(tmp_path)
    events = []
    for step in range(1, 2001):
        events.append({"type": "step", **step_event(step, 2000, rng)})
        events.append({"type": "samples", "step": step, "reward_names": ["correctness"],
                       "samples": samples_for(step, rng, n=2)})
    m.apply(events)
    assert len(m.series) == 2000 and m.history.last_step["step"] == 2000
    assert len(m.history.steps) <= 128 and len(m.history.samples) <= 1000
    assert max(m.history.samples) == 2000

"""`rl-studio train` as a subprocess with the real GRPOTrainer on a tiny model: events, samples, exports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import cli, write_config

from rl_studio.events import read_history, validate
from rl_studio.rewards.builtin import boxed_format, make_correctness

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def finished_run(tiny_model, tmp_path_factory):
    work = tmp_path_factory.mktemp("e2e")
    write_config(work / "cfg.toml", tiny_model, steps=4)
    proc = cli("train", "cfg.toml", cwd=work)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return work, work / "runs" / "run", proc


def test_foreground_prints_one_line_per_step(finished_run):
    _, run_dir, proc = finished_run
    step_lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("step ")]
    assert [ln.split()[1] for ln in step_lines] == ["1/4", "2/4", "3/4", "4/4"]
    assert all("reward" in ln and "tok/s" in ln and "ETA" in ln for ln in step_lines)
    assert "Traceback" not in proc.stdout + proc.stderr
    assert "it/s]" not in proc.stdout  # no tqdm noise
    assert proc.stdout.strip().endswith(f"run completed: {run_dir}")


def test_every_event_matches_the_schema(finished_run):
    _, run_dir, _ = finished_run
    lines = (run_dir / "events.jsonl").read_text().splitlines()
    events = [json.loads(ln) for ln in lines]
    problems = [p for e in events for p in validate(e)]
    assert problems == []
    types = [e["type"] for e in events]
    assert types.count("run_started") == 1 and types[-1] == "run_finished"
    assert events[-1]["outcome"] == "completed"
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    started = next(e for e in events if e["type"] == "run_started")
    assert started["engine"] == "trl" and started["device"] == "cpu"
    assert {"torch", "transformers", "trl", "peft"} <= set(started["versions"])
    assert "| Outcome | completed |" in (run_dir / "summary.md").read_text()
    phases = {e["phase"] for e in events if e["type"] == "status"}
    assert {"loading_model", "preparing_dataset", "training", "saving"} <= phases


def test_step_events_carry_trls_metrics(finished_run):
    _, run_dir, _ = finished_run
    h = read_history(run_dir)
    assert sorted(h.steps) == [1, 2, 3, 4]
    m = h.steps[4]["metrics"]
    for key in ("reward", "reward_std", "rewards/correctness/mean", "rewards/boxed_format/mean", "entropy",
                "completions/mean_length", "completions/clipped_ratio", "frac_reward_zero_std", "num_tokens", "loss"):
        assert key in m, key
    assert h.steps[4]["max_steps"] == 4
    assert h.steps[4]["tokens_per_s"] > 0
    assert [c["step"] for c in h.checkpoints] == [2, 4]
    assert all((Path(c["path"]) / "rl_studio_complete").is_file() for c in h.checkpoints)


def test_sample_rewards_equal_what_the_functions_return(finished_run):
    _, run_dir, _ = finished_run
    h = read_history(run_dir)
    assert sorted(h.samples) == [1, 2, 3, 4]
    correctness = make_correctness("answer")
    for step, event in h.samples.items():
        samples = event["samples"]
        assert event["reward_names"] == ["correctness", "boxed_format"]
        assert len(samples) == 4  # one whole group of num_generations
        completions = [s["completion"] for s in samples]
        # the prompt maps back to its dataset row through the arithmetic generator's answer
        from rl_studio.datasets import builtin_arithmetic

        answer = {r["question"]: r["answer"] for r in builtin_arithmetic(64, 3407)}[samples[0]["prompt"]]
        assert [s["rewards"]["correctness"] for s in samples] == correctness(
            completions=completions, answer=[answer] * 4)
        assert [s["rewards"]["boxed_format"] for s in samples] == boxed_format(completions=completions)
        for s in samples:
            assert s["total"] == pytest.approx(s["rewards"]["correctness"] + 0.5 * s["rewards"]["boxed_format"])
        # the logged mean matches the step's metric when the whole batch is one group
        mean = sum(s["total"] for s in samples) / 4
        assert mean == pytest.approx(h.steps[step]["metrics"]["reward"], abs=1e-5)


def test_exports_reload_and_generate(finished_run):
    work, run_dir, _ = finished_run
    for flag, target in (("--adapter", "out/adapter"), ("--merged-16bit", "out/merged")):
        proc = cli("export", str(run_dir), flag, target, cwd=work)
        assert proc.returncode == 0, proc.stderr
    import torch
    from peft import AutoPeftModelForCausalLM
    from transformers import AutoModelForCausalLM, AutoTokenizer

    merged = AutoModelForCausalLM.from_pretrained(work / "out/merged")
    assert merged.dtype == torch.float16
    tok = AutoTokenizer.from_pretrained(work / "out/merged")
    ids = tok.apply_chat_template([{"role": "user", "content": "2+2?"}], add_generation_prompt=True,
                                  return_tensors="pt", return_dict=True)
    out = merged.float().generate(**ids, max_new_tokens=5, do_sample=False)
    assert out.shape[1] > ids["input_ids"].shape[1]
    adapter = AutoPeftModelForCausalLM.from_pretrained(work / "out/adapter")
    out2 = adapter.generate(**ids, max_new_tokens=5, do_sample=False)
    assert out2.shape[1] > ids["input_ids"].shape[1]
    # the merged weights equal base + LoRA delta: same greedy tokens as the adapter model
    assert out[0].tolist() == out2[0].tolist()
    kinds = [(e["kind"], e["state"]) for e in read_history(run_dir).exports]
    assert kinds == [("adapter", "started"), ("adapter", "done"), ("merged-16bit", "started"), ("merged-16bit", "done")]
    # exporting onto an existing directory is refused and leaves it alone
    before = sorted(p.name for p in (work / "out/merged").iterdir())
    proc = cli("export", str(run_dir), "--merged-16bit", "out/merged", cwd=work)
    assert proc.returncode == 2 and "already exists" in proc.stderr
    assert sorted(p.name for p in (work / "out/merged").iterdir()) == before


def test_hub_token_never_written(finished_run):
    work, run_dir, _ = finished_run
    secret = "hf_studio_test_secret_0123456789"
    env = {**__import__("conftest").ENV, "HF_TOKEN": secret, "HF_HUB_OFFLINE": "1"}
    proc = cli("export", str(run_dir), "--push", "someone/model", cwd=work, env=env)
    assert proc.returncode == 2 and proc.stderr.startswith("rl-studio: error: push to someone/model failed")
    assert secret not in proc.stdout + proc.stderr
    for path in run_dir.rglob("*"):
        if path.is_file():
            assert secret.encode() not in path.read_bytes(), path


def test_app_gguf_export_passes_quant_and_directory(finished_run):
    from rl_studio.launch import start_export

    work, run_dir, _ = finished_run
    target = str(work / "out" / "gguf dir")  # a space in the path must not split it
    proc = start_export(run_dir, "gguf", target, quant="q4_k_m")
    assert proc.args[-3:] == ["--gguf", "q4_k_m", target]
    out, _ = proc.communicate(timeout=300)
    assert proc.returncode == 2 and "GGUF export needs llama.cpp" in out.decode()
    started = [e for e in read_history(run_dir).exports if e["kind"] == "gguf"]
    assert [e["state"] for e in started] == ["started", "failed"] and started[0]["path"] == target

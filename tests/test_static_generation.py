"""The static-cache decoder (eager on the CPU; the GPU replays the same step as a CUDA graph) and its
hook into GRPOTrainer: same tokens as `model.generate`, LoRA merged for generation only, updates
seen, fallback with a warning, and `rl-studio train` with `generation = "static"`."""

from __future__ import annotations

import json

import pytest
import torch
from conftest import ENV, cli, write_config

from rl_studio.engine.generation import auto_engine, choose_path, vllm_generation_kwargs
from rl_studio.engine.static_generation import (
    Sampling,
    StaticDecoder,
    Unsupported,
    lora_merge_targets,
    memory_mode,
)

TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


def _prompts(tok):
    return [tok("What is 3 plus 4?")["input_ids"], tok("12 apples and 5")["input_ids"], tok("x")["input_ids"]]


def _reference(model, tok, prompts, n):
    P = max(len(p) for p in prompts)
    ids = torch.tensor([[tok.pad_token_id] * (P - len(p)) + p for p in prompts])
    am = torch.tensor([[0] * (P - len(p)) + [1] * len(p) for p in prompts])
    out = model.generate(
        input_ids=ids, attention_mask=am, max_new_tokens=n, do_sample=False,
        eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id,
    )[:, P:].tolist()
    cut = []
    for row in out:
        k = next((i + 1 for i, t in enumerate(row) if t == tok.eos_token_id), len(row))
        cut.append(row[:k])
    return cut


@pytest.mark.parametrize("attn", ["sdpa", "eager"])
def test_matches_generate(tiny_model, tiny_llama, attn):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    for path in (tiny_model, tiny_llama):
        model = AutoModelForCausalLM.from_pretrained(path, attn_implementation=attn)
        tok = AutoTokenizer.from_pretrained(path)
        prompts = _prompts(tok)
        dec = StaticDecoder(model, Sampling(12, (tok.eos_token_id,), tok.pad_token_id, greedy=True), bucket=8)
        assert dec.generate(prompts) == _reference(model, tok, prompts, 12)
        assert dec.generate(prompts[:2]) == _reference(model, tok, prompts[:2], 12)  # batch padded to the cache's


def test_lora_merged_for_generation_only(tiny_model):
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_model)
    model = get_peft_model(AutoModelForCausalLM.from_pretrained(tiny_model), LoraConfig(r=8, target_modules=TARGETS))
    with torch.no_grad():
        for n, p in model.named_parameters():
            if "lora_B" in n:
                p.add_(torch.randn_like(p) * 0.3)
    before = {n: p.clone() for n, p in model.named_parameters()}
    model.train()
    prompts = _prompts(tok)
    s = Sampling(12, (tok.eos_token_id,), tok.pad_token_id, greedy=True)
    merged, plain = StaticDecoder(model, s, bucket=8), StaticDecoder(model, s, bucket=8, merge_lora=False)
    assert len(merged.merged) == 2 * len(TARGETS) and not plain.merged
    a = merged.generate(prompts)
    assert a == plain.generate(prompts)
    model.eval()
    assert a == _reference(model, tok, prompts, 12)
    assert all(torch.equal(p, before[n]) for n, p in model.named_parameters())  # training weights untouched
    assert all("forward" not in m.__dict__ for m, *_ in merged.merged)  # PEFT's forward restored
    with torch.no_grad():  # an optimizer-style in-place update is seen by the next generation
        for n, p in model.named_parameters():
            if "lora_A" in n:
                p.mul_(-1.5)
    assert merged.generate(prompts) == plain.generate(prompts) != a
    lean = StaticDecoder(model, s, bucket=8, merge_lora=False, keep=False)  # generation_memory = "lean"
    assert lean.generate(prompts) == plain.generate(prompts)
    assert lean.batch == 0 and not hasattr(lean, "cache") and lean.last_shape[0] == 3  # freed, shape noted
    assert lean.generate(prompts[:1]) == plain.generate(prompts[:1])  # allocated again, at the new batch


def test_memory_mode_and_vllm_kwargs(tiny_model):
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    model = get_peft_model(AutoModelForCausalLM.from_pretrained(tiny_model), LoraConfig(r=8, target_modules=TARGETS))
    found, need = lora_merge_targets(model)
    weights = sum(m.get_base_layer().weight.numel() * 4 for m, *_ in found)
    assert len(found) == 2 * len(TARGETS) and need == weights
    assert memory_mode(model, "auto", free_bytes=need * 8) == "fast"  # merged weights <= 1/8 of free memory
    assert memory_mode(model, "auto", free_bytes=need * 8 - 1) == "lean"
    assert memory_mode(model, "lean", free_bytes=1 << 40) == "lean" and memory_mode(model, "fast", 0) == "fast"
    assert vllm_generation_kwargs({"min_new_tokens": 5, "top_k": 3}) == {"min_tokens": 5, "top_k": 3}
    assert vllm_generation_kwargs(None) is None and vllm_generation_kwargs({"top_p": 0.9}) == {"top_p": 0.9}
    assert Sampling.from_generation_kwargs({"max_new_tokens": 4, "min_tokens": 4}, [3], 0).min_new_tokens == 4


def test_sampling_settings():
    kw = {"max_new_tokens": 5, "do_sample": True, "temperature": 0.7, "top_k": 10, "top_p": 0.9, "min_new_tokens": 5,
          "eos_token_id": [3, 4], "pad_token_id": 0, "repetition_penalty": 1.0, "cache_implementation": None}
    s = Sampling.from_generation_kwargs(kw, [3], 0)
    assert (s.eos_ids, s.top_k, s.min_new_tokens, s.greedy) == ((3, 4), 10, 5, False)
    with pytest.raises(Unsupported):
        Sampling.from_generation_kwargs({**kw, "repetition_penalty": 1.2}, [3], 0)
    with pytest.raises(Unsupported):
        Sampling.from_generation_kwargs({**kw, "num_beams": 2}, [3], 0)


def test_min_new_tokens_and_sampling_run(tiny_model):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_model)
    model = AutoModelForCausalLM.from_pretrained(tiny_model)
    s = Sampling(10, (tok.eos_token_id,), tok.pad_token_id, temperature=0.8, top_k=20, top_p=0.9, min_p=0.01,
                 min_new_tokens=10)
    out = StaticDecoder(model, s, bucket=8).generate(_prompts(tok))
    assert [len(r) for r in out] == [10, 10, 10]
    assert all(0 <= t < model.config.vocab_size for r in out for t in r)


def test_path_choice():
    class M:
        generation, fast_inference = "auto", False

    assert choose_path("auto", cuda=True, engine="trl", fast_inference=False)[0] == "static"
    assert choose_path("auto", cuda=True, engine="unsloth", fast_inference=False)[0] == "trl"
    path, notes = choose_path("vllm", cuda=True, engine="trl", fast_inference=True)
    assert path in ("vllm", "static") and (path == "vllm" or len(notes) == 1)
    assert choose_path("auto", cuda=False, engine="trl", fast_inference=False) == ("trl", [])
    assert auto_engine(M(), has_unsloth=True, cuda=True) == "trl"
    assert auto_engine(M(), has_unsloth=True, cuda=False) == "trl"
    M.generation = "trl"
    assert auto_engine(M(), has_unsloth=True, cuda=True) == "unsloth"


@pytest.mark.slow
def test_train_with_static_generation(tmp_path, tiny_model):
    cfg = write_config(tmp_path / "run.toml", tiny_model, steps=3, extra="", name="static")
    env = {**ENV, "RL_STUDIO_STATIC_ON_CPU": "1"}
    proc = cli("train", str(cfg), "--set", "model.generation=static", cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    events = [json.loads(x) for x in (tmp_path / "runs" / "static" / "events.jsonl").read_text().splitlines()]
    messages = [e.get("message", "") for e in events if e["type"] == "status"]
    assert any("generation path: static" in m for m in messages)
    assert any(m.startswith("static-cache generation: batch") for m in messages)
    assert any("generation_memory = fast (auto)" in m for m in messages)  # a tiny model's merge is cheap
    assert not [e for e in events if e["type"] == "warning" and e.get("where") == "generation"]
    assert len([e for e in events if e["type"] == "step"]) == 3


@pytest.mark.slow
def test_unsupported_settings_fall_back_with_a_warning(tmp_path, tiny_model):
    cfg = write_config(tmp_path / "run.toml", tiny_model, steps=2, name="fallback", grpo="repetition_penalty = 1.1")
    env = {**ENV, "RL_STUDIO_STATIC_ON_CPU": "1"}
    proc = cli("train", str(cfg), "--set", "model.generation=static", cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    events = [json.loads(x) for x in (tmp_path / "runs" / "fallback" / "events.jsonl").read_text().splitlines()]
    warnings = [e for e in events if e["type"] == "warning" and e.get("where") == "generation"]
    assert len(warnings) == 1 and "repetition_penalty" in warnings[0]["message"]
    assert len([e for e in events if e["type"] == "step"]) == 2

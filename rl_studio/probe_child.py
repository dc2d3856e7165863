"""The child side of `rl_studio.probe`: `python -m rl_studio.probe_child QUESTION`, JSON in, JSON out (UI-free core)."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

from rl_studio.config import RunConfig, from_dict
from rl_studio.errors import StudioError


def _estimate(cfg: RunConfig, model_cfg: dict[str, Any]) -> dict[str, Any]:
    h = int(model_cfg.get("hidden_size") or 0)
    layers = int(model_cfg.get("num_hidden_layers") or 0)
    inter = int(model_cfg.get("intermediate_size") or 4 * h)
    vocab = int(model_cfg.get("vocab_size") or 0)
    heads = int(model_cfg.get("num_attention_heads") or 1)
    kv = int(model_cfg.get("num_key_value_heads") or heads)
    if not (h and layers and vocab):
        return {"params": None, "trainable_params": None, "est_gpu_gib": None}
    head_dim = h // heads
    attn = h * h * 2 + 2 * h * kv * head_dim
    mlp = 3 * h * inter
    params = layers * (attn + mlp) + vocab * h * (1 if model_cfg.get("tie_word_embeddings", True) else 2)
    shapes = {
        "q_proj": (h, h), "k_proj": (h, kv * head_dim), "v_proj": (h, kv * head_dim), "o_proj": (h, h),
        "gate_proj": (h, inter), "up_proj": (h, inter), "down_proj": (inter, h),
    }
    if cfg.lora.enabled:
        r = cfg.lora.r
        trainable = layers * sum(r * (a + b) for m, (a, b) in shapes.items() if m in cfg.lora.target_modules)
    else:
        trainable = params
    bytes_per = 0.56 if cfg.model.load_in_4bit else 2.0
    weights = params * bytes_per
    optim = trainable * (4 + 8 + 2)  # fp32 master/grad-ish + Adam moments
    g = int(cfg.grpo.get("num_generations", 8))
    seq = cfg.model.max_seq_length
    kv_cache = 2 * layers * kv * head_dim * 2 * seq * max(g, int(cfg.grpo.get("per_device_train_batch_size", 8)))
    acts = g * seq * (h * 4 + vocab * 0.25) * 0.4  # rough: chunked logits, checkpointed layers
    total = (weights + optim + kv_cache + acts) * 1.15 + 0.5 * 2**30
    return {"params": int(params), "trainable_params": int(trainable), "est_gpu_gib": round(total / 2**30, 2)}


def _answer(question: str, payload: dict[str, Any]) -> Any:
    if question == "grpo_fields":
        from rl_studio.engine.grpo_args import grpo_fields as fields

        return fields()
    cfg = from_dict(payload["config"], base_dir=Path(payload["base_dir"]))
    if question == "preflight":
        from rl_studio.engine.run import prepare

        prepare(cfg, cfg.run_dir)
        return True
    if question == "model_info":
        from rl_studio.models import read_model_config, resolve_model

        return _estimate(cfg, read_model_config(resolve_model(cfg.model.name, cfg.base_dir)))
    from rl_studio.datasets import load_rows, messages_for, render_prompt

    few = dataclasses.replace(cfg.dataset, max_samples=min(cfg.dataset.max_samples or 64, 64))
    rows = load_rows(few, base_dir=cfg.base_dir, seed=cfg.run.seed)
    if question == "preview_dataset":
        from transformers import AutoTokenizer

        from rl_studio.datasets import check_columns
        from rl_studio.models import resolve_model

        columns = list(rows.column_names)
        n = int(payload.get("n", 3))
        first = [{k: (v if isinstance(v, str | int | float | bool | type(None)) else str(v)) for k, v in r.items()}
                 for r in rows.select(range(min(n, len(rows))))]
        check_columns(columns, cfg.dataset)
        tok = AutoTokenizer.from_pretrained(resolve_model(cfg.model.name, cfg.base_dir))
        from rl_studio.engine.loading import ensure_chat_template

        ensure_chat_template(tok, [])
        text = render_prompt(tok, messages_for(rows[0][cfg.dataset.prompt_column], cfg.dataset.system_prompt))
        return {"columns": columns, "rows": first, "prompt_text": text, "prompt_tokens": len(tok(text)["input_ids"])}
    if question == "try_rewards":
        return _score(cfg, rows, payload["completions"], int(payload.get("row", 0)))
    if question == "generate":
        texts, ids = _generate(cfg, rows, int(payload.get("n", 4)), int(payload.get("row", 0)))
        return {"completions": texts, **_score(cfg, rows, texts, int(payload.get("row", 0)), ids)}
    raise StudioError(f"unknown probe question {question!r}")


def _score(cfg: RunConfig, rows: Any, texts: list[str], row_index: int,
           completion_ids: list[list[int]] | None = None) -> dict[str, Any]:
    """Each chosen reward on each completion, called the way GRPOTrainer calls it."""
    import asyncio

    from rl_studio.datasets import to_prompt_dataset
    from rl_studio.rewards.resolve import resolve_rewards

    data = to_prompt_dataset(rows, cfg.dataset)
    row = data[row_index]
    columns = [c for c in data.column_names if c != "prompt"]
    rewards = resolve_rewards(cfg, columns)
    completions = [[{"role": "assistant", "content": t}] for t in texts]
    n = len(completions)
    kwargs = {c: [row[c]] * n for c in columns}
    kwargs.update(prompts=[row["prompt"]] * n, completions=completions,
                  completion_ids=completion_ids or [[0] * max(1, len(t) // 4) for t in texts],
                  trainer_state=None, log_extra=lambda *a, **k: None, log_metric=lambda *a, **k: None)
    scores: list[list[float | None]] = [[None] * len(rewards) for _ in range(n)]
    for j, r in enumerate(rewards):
        out = r.func(**kwargs)
        if hasattr(out, "__await__"):
            out = asyncio.run(out)
        for i, v in enumerate(out):
            scores[i][j] = None if v is None else float(v)
    return {"names": [r.name for r in rewards], "scores": scores}


def _generate(cfg: RunConfig, rows: Any, n: int, row_index: int) -> tuple[list[str], list[list[int]]]:
    """n sampled completions of the model for one dataset row, as training would sample them."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from rl_studio.datasets import messages_for
    from rl_studio.engine.loading import ensure_chat_template
    from rl_studio.models import resolve_model

    path = resolve_model(cfg.model.name, cfg.base_dir)
    tok = AutoTokenizer.from_pretrained(path)
    ensure_chat_template(tok, [])
    device = "cuda" if torch.cuda.is_available() else "cpu"
    model = AutoModelForCausalLM.from_pretrained(
        path, dtype=torch.bfloat16 if device == "cuda" else torch.float32).to(device)
    messages = messages_for(rows[row_index][cfg.dataset.prompt_column], cfg.dataset.system_prompt)
    inputs = tok.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt",
                                     return_dict=True).to(device)
    torch.manual_seed(cfg.run.seed)
    out = model.generate(
        **inputs, do_sample=True, num_return_sequences=n, pad_token_id=tok.pad_token_id,
        temperature=float(cfg.grpo.get("temperature", 1.0)),
        max_new_tokens=min(int(cfg.grpo.get("max_completion_length", 256)), 256),
    )
    start = inputs["input_ids"].shape[1]
    ids = []
    for seq in out[:, start:].tolist():
        if tok.eos_token_id in seq:
            seq = seq[: seq.index(tok.eos_token_id) + 1]
        ids.append(seq)
    return [tok.decode(s, skip_special_tokens=True) for s in ids], ids


def main() -> int:
    question = sys.argv[1] if len(sys.argv) > 1 else ""
    payload = json.loads(sys.stdin.read() or "{}")
    try:
        result = _answer(question, payload)
        print(json.dumps({"result": result}, default=str))
    except StudioError as e:
        print(json.dumps({"error": str(e)}))
    except Exception as e:  # noqa: BLE001 - answered as one line, the app shows it
        print(json.dumps({"error": f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"[:400]}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

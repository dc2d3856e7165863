"""Load the model and tokenizer for an engine: Unsloth's FastLanguageModel or transformers + PEFT (UI-free core)."""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from typing import Any

from rl_studio.errors import StudioError

CHATML = (
    "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>\n' }}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


@dataclass
class Loaded:
    model: Any
    tokenizer: Any
    engine: str
    device: str
    peft_config: Any = None  # for engine trl: handed to GRPOTrainer, which wraps the model
    dtype: str = "float32"
    warnings: list[str] | None = None


def cuda_available() -> bool:
    import torch

    return torch.cuda.is_available()


def device_name() -> str:
    import torch

    if torch.cuda.is_available():
        return torch.cuda.get_device_name(0)
    return "cpu"


def pick_engine(requested: str, model_cfg: Any = None) -> str:
    """auto: the engine of the fastest generation path here (engine/generation.py's auto_engine)."""
    has_unsloth = importlib.util.find_spec("unsloth") is not None
    if requested == "unsloth":
        if not cuda_available():
            raise StudioError(
                "engine unsloth needs an NVIDIA GPU and none is visible here; "
                'set model.engine = "trl" (or "auto") to train on this machine'
            )
        if not has_unsloth:
            raise StudioError("engine unsloth: the unsloth package is not installed; pip install 'rl-studio[gpu]'")
        return "unsloth"
    if requested == "trl":
        return "trl"
    from rl_studio.engine.generation import auto_engine

    return auto_engine(model_cfg, has_unsloth=has_unsloth, cuda=cuda_available())


def pick_dtype(requested: str) -> str:
    import torch

    if requested != "auto":
        return requested
    if torch.cuda.is_available():
        return "bfloat16" if torch.cuda.is_bf16_supported() else "float16"
    return "float32"


def ensure_chat_template(tokenizer: Any, notes: list[str]) -> None:
    if not getattr(tokenizer, "chat_template", None):
        tokenizer.chat_template = CHATML
        notes.append("the tokenizer has no chat template; using ChatML")
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token


def load_trl(cfg, model_path: str) -> Loaded:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    notes: list[str] = []
    dtype = pick_dtype(cfg.model.dtype)
    kwargs: dict[str, Any] = {"dtype": getattr(torch, dtype)}
    if cfg.model.load_in_4bit:
        if not torch.cuda.is_available():
            raise StudioError("model.load_in_4bit needs an NVIDIA GPU (bitsandbytes); set it to false on this machine")
        from transformers import BitsAndBytesConfig

        kwargs["quantization_config"] = BitsAndBytesConfig(
            load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_compute_dtype=getattr(torch, dtype)
        )
    tokenizer = AutoTokenizer.from_pretrained(model_path)
    ensure_chat_template(tokenizer, notes)
    model = AutoModelForCausalLM.from_pretrained(model_path, **kwargs)
    peft_config = None
    if cfg.lora.enabled:
        from peft import LoraConfig

        names = {n.rsplit(".", 1)[-1] for n, _ in model.named_modules()}
        targets = [t for t in cfg.lora.target_modules if t in names]
        if not targets:
            raise StudioError(
                f"none of lora.target_modules ({', '.join(cfg.lora.target_modules)}) exist in this model; "
                f"linear layers it has: {', '.join(sorted(n for n in names if 'proj' in n or 'fc' in n)[:12])}"
            )
        peft_config = LoraConfig(
            r=cfg.lora.r,
            lora_alpha=cfg.lora.alpha,
            lora_dropout=cfg.lora.dropout,
            target_modules=targets,
            task_type="CAUSAL_LM",
        )
    return Loaded(model, tokenizer, "trl", device_name(), peft_config, dtype, notes)


def unsloth_env(cfg) -> None:
    """Environment Unsloth reads when it is imported: vLLM standby mode (which also makes Unsloth
    leave PyTorch's expandable segments off, as standby's allocator needs)."""
    if cfg.model.fast_inference and cfg.model.vllm_standby:
        os.environ.setdefault("UNSLOTH_VLLM_STANDBY", "1")


def load_unsloth(cfg, model_path: str) -> Loaded:
    notes: list[str] = []
    fast = bool(cfg.model.fast_inference)
    if fast:
        from rl_studio.engine.generation import vllm_usable

        reason = vllm_usable()
        if reason:
            fast = False
            notes.append(f"fast_inference needs vLLM ({reason}); Unsloth generates without it")
    unsloth_env(cfg)
    from unsloth import FastLanguageModel  # must come before trl so Unsloth patches it

    dtype = pick_dtype(cfg.model.dtype)
    import torch

    kw: dict[str, Any] = {
        "model_name": model_path,
        "max_seq_length": cfg.model.max_seq_length,
        "load_in_4bit": cfg.model.load_in_4bit,
        "dtype": getattr(torch, dtype),
    }
    if fast:
        kw.update(
            fast_inference=True,
            max_lora_rank=cfg.lora.r,
            gpu_memory_utilization=cfg.model.gpu_memory_utilization,
        )
    model, tokenizer = FastLanguageModel.from_pretrained(**kw)
    ensure_chat_template(tokenizer, notes)
    if cfg.lora.enabled:
        model = FastLanguageModel.get_peft_model(
            model,
            r=cfg.lora.r,
            lora_alpha=cfg.lora.alpha,
            lora_dropout=cfg.lora.dropout,
            target_modules=list(cfg.lora.target_modules),
            use_gradient_checkpointing="unsloth",
            random_state=cfg.run.seed,
        )
    return Loaded(model, tokenizer, "unsloth", device_name(), None, dtype, notes)


def load(cfg, model_path: str, engine: str) -> Loaded:
    return load_unsloth(cfg, model_path) if engine == "unsloth" else load_trl(cfg, model_path)

"""Generation with a static KV cache compiled under CUDA graphs, for engines that generate with transformers.

TRL's `cache_implementation="static"` alone gains nothing: without compilation each decode step
still launches every kernel from Python. Here the decoding forward is compiled with
mode="reduce-overhead" (CUDA graphs). The graphs read the LoRA weights in place, so the optimizer's
in-place updates between steps are picked up without re-capture (UI-free core).
"""

from __future__ import annotations

from typing import Any


def enable_static_generation(loaded: Any, args: Any) -> None:
    args.cache_implementation = "static"
    gen = dict(args.generation_kwargs or {})
    gen.setdefault("compile_config", None)
    gen.pop("compile_config")
    args.generation_kwargs = gen or None
    cfg = getattr(loaded.model, "generation_config", None)
    if cfg is not None:
        from transformers import CompileConfig

        cfg.compile_config = CompileConfig(fullgraph=False, mode="reduce-overhead", dynamic=False)

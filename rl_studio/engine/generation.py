"""Choose how completions are generated: vLLM, a static KV cache under CUDA graphs, continuous batching,
or plain `generate` (UI-free core).

`model.generation = "auto"` takes the fastest path that works on this machine; a path that is
unavailable falls back to the next with one `warning` event, never a crash.
"""

from __future__ import annotations

import importlib.util
from typing import Any

# fastest first, as measured on an H100 (bench/results/)
GPU_ORDER = ("vllm", "static", "trl")


def vllm_usable() -> str | None:
    """None when vLLM can run here, else the reason it cannot."""
    if importlib.util.find_spec("vllm") is None:
        return "vllm is not installed"
    try:
        from importlib.metadata import version

        import torch

        v = version("vllm")
        if v == "0.25.1" and not torch.__version__.startswith("2.11."):
            return f"vllm {v} needs torch 2.11, this is {torch.__version__}"
    except Exception as e:  # noqa: BLE001
        return f"vllm cannot be checked: {e}"
    return None


def choose_path(requested: str, *, cuda: bool, engine: str, fast_inference: bool) -> tuple[str, list[str]]:
    """The path to use and the warnings explaining any fallback."""
    notes: list[str] = []
    if not cuda:
        if requested not in ("auto", "trl"):
            notes.append(f"generation path {requested!r} needs a GPU; using plain generate on the CPU")
        return "trl", notes
    wanted = requested
    if requested == "auto":
        wanted = "vllm" if fast_inference else "static"
    order = [wanted] + [p for p in GPU_ORDER if p != wanted]
    for path in order:
        if path == "vllm":
            reason = vllm_usable()
            if reason:
                if wanted == "vllm":
                    notes.append(f"fast generation through vLLM is unavailable ({reason}); falling back")
                continue
        if path == "static" and engine == "unsloth":
            # Unsloth generates through its own fast path; a static cache on top of it is not supported.
            continue
        return path, notes
    return "trl", notes


def apply_generation_path(cfg, loaded: Any, args: Any, writer: Any) -> str:
    """Set GRPOConfig fields (and model flags) for the chosen generation path; returns its name."""
    import torch

    path, notes = choose_path(
        cfg.model.generation,
        cuda=torch.cuda.is_available(),
        engine=loaded.engine,
        fast_inference=cfg.model.fast_inference,
    )
    for note in notes:
        writer.emit("warning", message=note, where="generation")
    if path == "vllm":
        if loaded.engine == "unsloth":
            pass  # FastLanguageModel(fast_inference=True) already built the colocated vLLM engine
        else:
            args.use_vllm = True
            args.vllm_mode = "colocate"
            args.vllm_gpu_memory_utilization = cfg.model.gpu_memory_utilization
    elif path == "static":
        from rl_studio.engine.static_generation import enable_static_generation

        enable_static_generation(loaded, args)
    elif path == "continuous":
        args.use_transformers_continuous_batching = True
    writer.emit("status", phase="compiling", message=f"generation path: {path}", progress=None)
    return path

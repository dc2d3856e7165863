"""Choose how completions are generated: vLLM, a static KV cache under CUDA graphs, continuous batching,
or plain `generate` (UI-free core).

`model.generation = "auto"` takes the fastest path that works on this machine; a path that is
unavailable falls back to the next with one `warning` event, never a crash. Order and figures:
docs/performance.md and bench/results/.
"""

from __future__ import annotations

import importlib.util
import os
import time
from dataclasses import dataclass, field
from typing import Any

# fastest first, as measured on an H100 (bench/results/)
GPU_ORDER = ("vllm", "static", "trl")
# tests and the CPU bench: let the static path run eagerly (no CUDA graphs) on the CPU
CPU_STATIC_ENV = "RL_STUDIO_STATIC_ON_CPU"


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


def auto_engine(model_cfg: Any, *, has_unsloth: bool, cuda: bool) -> str:
    """The engine `model.engine = "auto"` means here.

    The static-cache path generates through transformers, which Unsloth's patched forward replaces,
    and it is the fastest path measured (bench/results/): so on a GPU auto means trl, unless vLLM
    generation is asked for and usable (then Unsloth's colocated vLLM when Unsloth is installed) or
    plain generation is asked for (then Unsloth's own generate, faster than TRL's).
    """
    if not cuda:
        return "trl"
    gen = getattr(model_cfg, "generation", "auto") if model_cfg is not None else "auto"
    fast = bool(getattr(model_cfg, "fast_inference", False)) if model_cfg is not None else False
    if fast or gen == "vllm":
        return "unsloth" if has_unsloth and vllm_usable() is None else "trl"
    if gen in ("trl",):
        return "unsloth" if has_unsloth else "trl"
    return "trl"


def static_allowed(cuda: bool) -> bool:
    return cuda or os.environ.get(CPU_STATIC_ENV) == "1"


def choose_path(requested: str, *, cuda: bool, engine: str, fast_inference: bool) -> tuple[str, list[str]]:
    """The path to use and the warnings explaining any fallback."""
    notes: list[str] = []
    if not cuda:
        if requested == "static" and static_allowed(cuda):
            return "static", notes
        if requested not in ("auto", "trl"):
            notes.append(f"generation path {requested!r} needs a GPU; using plain generate on the CPU")
        return "trl", notes
    if requested in ("trl", "continuous"):
        return requested, notes
    wanted = requested
    if requested == "auto":
        wanted = "vllm" if fast_inference else ("trl" if engine == "unsloth" else "static")
    order = [wanted] + [p for p in GPU_ORDER if p != wanted]
    for path in order:
        if path == "vllm":
            reason = vllm_usable()
            if reason:
                if wanted == "vllm":
                    notes.append(f"fast generation through vLLM is unavailable ({reason}); falling back")
                continue
        if path == "static" and engine == "unsloth" and wanted != "static":
            # Unsloth generates through its own patched forward; the static path is tried only when asked for.
            continue
        return path, notes
    return "trl", notes


@dataclass
class GenerationPlan:
    """The chosen path; `attach(trainer)` hooks it into a built GRPOTrainer."""

    name: str
    writer: Any = None
    memory: str = "auto"
    generation_batch: int | None = None
    stats: dict[str, Any] = field(default_factory=dict)

    def attach(self, trainer: Any) -> None:
        if self.name == "static":
            attach_static(trainer, self)

    def warn(self, message: str) -> None:
        if self.writer is not None:
            self.writer.emit("warning", message=message, where="generation")

    def status(self, message: str, phase: str = "compiling") -> None:
        if self.writer is not None:
            self.writer.emit("status", phase=phase, message=message, progress=None)


def _free_bytes() -> int:
    import torch

    if torch.cuda.is_available():
        free, _total = torch.cuda.mem_get_info()
        return int(free)
    return 8 << 30


def size_generation_batch(cfg, loaded: Any, args: Any, plan: GenerationPlan) -> None:
    """Unless [grpo] sets it, raise steps_per_generation so one generation batch is as large as memory allows."""
    if "steps_per_generation" in cfg.grpo or "generation_batch_size" in cfg.grpo:
        plan.generation_batch = int(args.generation_batch_size)
        return
    from rl_studio.engine.static_generation import pick_generation_batch

    nproc = max(1, int(args.generation_batch_size) // (int(args.per_device_train_batch_size) * int(args.steps_per_generation)))
    per_step = int(args.per_device_train_batch_size) * nproc
    seq = min(int(cfg.model.max_seq_length), int(args.max_completion_length) + 256)
    k = pick_generation_batch(
        per_step=per_step,
        num_generations=int(args.num_generations),
        seq_len=seq,
        config=loaded.model.config,
        free_bytes=_free_bytes(),
        max_steps_per_generation=max(16, int(args.gradient_accumulation_steps)),
    )
    k = max(k, int(args.steps_per_generation))
    if k % int(args.gradient_accumulation_steps):
        k = int(args.steps_per_generation)
    args.steps_per_generation = k
    args.generation_batch_size = per_step * k
    plan.generation_batch = args.generation_batch_size


def attach_static(trainer: Any, plan: GenerationPlan) -> None:
    """Replace the trainer's transformers generate with the static-cache CUDA-graph decoder.

    Any failure (unsupported settings, a model whose forward cannot be captured, out of memory)
    falls back to TRL's own generate for the rest of the run, with one warning event.
    """
    from rl_studio.engine.static_generation import Sampling, StaticDecoder, Unsupported, memory_mode

    original = getattr(trainer, "_generate_single_turn", None)
    if original is None:
        plan.warn("static generation: this GRPOTrainer has no _generate_single_turn to replace; using its own generate")
        plan.name = "trl"
        return
    if getattr(trainer, "use_vllm", False) or getattr(trainer, "use_transformers_continuous_batching", False):
        plan.name = "trl"
        return
    state: dict[str, Any] = {"decoder": None, "failed": False}

    def fallback(reason: str) -> None:
        state["failed"] = True
        dec = state.get("decoder")
        if dec is not None:
            dec.release()
        state["decoder"] = None
        try:
            import torch

            if torch.cuda.is_available():
                torch.cuda.empty_cache()
        except Exception:  # noqa: BLE001
            pass
        plan.name = "trl"
        plan.stats["fallback"] = reason
        plan.warn(f"static-cache generation failed ({reason}); falling back to TRL's generate")

    def fast(prompt_ids, images=None, multimodal_fields=None, *args, **kwargs):
        if state["failed"] or images is not None or multimodal_fields:
            return original(prompt_ids, images, multimodal_fields, *args, **kwargs)
        try:
            dec = state["decoder"]
            if dec is None:
                tok = getattr(trainer, "_tokenizer", None) or trainer.processing_class
                sampling = Sampling.from_generation_kwargs(
                    dict(trainer.generation_kwargs), list(trainer.eos_token_ids), tok.pad_token_id
                )
                model = trainer.accelerator.unwrap_model(trainer.model_wrapped)
                mode = memory_mode(model, plan.memory, _free_bytes())
                dec = StaticDecoder(model, sampling, merge_lora=mode == "fast", keep=mode == "fast")
                state["decoder"] = dec
            t0 = time.perf_counter()
            first = dec.captures
            out = dec.generate(list(prompt_ids))
            batch, cache_len = dec.last_shape
            if dec.calls == 1 or (dec.keep and dec.captures != first):
                graph = "CUDA graph captured" if dec.use_graphs else "eager (no CUDA graph)"
                plan.status(
                    f"static-cache generation: batch {batch}, cache {cache_len} tokens, {graph}, "
                    f"{time.perf_counter() - t0:.1f}s",
                    phase="generating",
                )
            if dec.calls == 1:
                lora = f"LoRA merged ({len(dec.merged)} layers)" if dec.merged else "LoRA unmerged"
                held = "cache kept" if dec.keep else "cache freed after each generation"
                auto = " (auto)" if plan.memory == "auto" else ""
                plan.status(
                    f"static-cache generation: generation_memory = {'fast' if dec.keep else 'lean'}{auto}: "
                    f"{lora}, {held}",
                    phase="generating",
                )
            plan.stats.update(
                calls=dec.calls, captures=dec.captures, capture_s=round(dec.capture_s, 3), batch=batch,
                cache_len=cache_len,
            )
            return out, None
        except Unsupported as e:
            fallback(str(e))
        except Exception as e:  # noqa: BLE001 - never crash the run over the fast path
            msg = f"{type(e).__name__}: {e}".splitlines()[0][:300]
            fallback(msg)
        return original(prompt_ids, images, multimodal_fields, *args, **kwargs)

    trainer._generate_single_turn = fast


def vllm_generation_kwargs(kw: dict | None) -> dict | None:
    """generation_kwargs as vLLM's SamplingParams takes them (it spells min_new_tokens min_tokens)."""
    if not kw or "min_new_tokens" not in kw:
        return kw
    out = dict(kw)
    out["min_tokens"] = out.pop("min_new_tokens")
    return out


def apply_generation_path(cfg, loaded: Any, args: Any, writer: Any) -> GenerationPlan:
    """Set GRPOConfig fields (and model flags) for the chosen generation path.

    Returns the plan; call `plan.attach(trainer)` once the GRPOTrainer is built.
    """
    import torch

    cuda = torch.cuda.is_available()
    path, notes = choose_path(
        cfg.model.generation,
        cuda=cuda,
        engine=loaded.engine,
        fast_inference=cfg.model.fast_inference,
    )
    plan = GenerationPlan(path, writer, memory=cfg.model.generation_memory)
    for note in notes:
        plan.warn(note)
    if path == "vllm":
        args.generation_kwargs = vllm_generation_kwargs(args.generation_kwargs)
        if loaded.engine == "unsloth":
            pass  # FastLanguageModel(fast_inference=True) already built the colocated vLLM engine
        else:
            args.use_vllm = True
            args.vllm_mode = "colocate"
            args.vllm_gpu_memory_utilization = cfg.model.gpu_memory_utilization
    elif path == "static" and cuda:
        size_generation_batch(cfg, loaded, args, plan)
    elif path == "continuous":
        args.use_transformers_continuous_batching = True
    extra = f", generation batch {plan.generation_batch}" if plan.generation_batch else ""
    plan.status(f"generation path: {path}{extra}")
    return plan

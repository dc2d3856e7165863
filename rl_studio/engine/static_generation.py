"""Generation with a static KV cache, the decode step replayed as one CUDA graph (UI-free core).

Why TRL's own route (`cache_implementation="static"`) gains nothing: GRPOTrainer builds its
GenerationConfig with `disable_compile=True` (trl/trainer/grpo_trainer.py), so transformers never
compiles the decode step; a static cache without compilation or graphs still launches every kernel
of every layer from Python at each token, which is what bounds generation on a GPU. On top of
that, each batch's padded prompt length differs, so even a compiled static cache would be sized
(and re-compiled) anew per batch, and the model is in train mode with gradient checkpointing, which
turns `use_cache` off inside transformers' layers.

This module does the decode loop itself:
- one StaticCache sized (generation batch, prompt bucket + max_new_tokens), reused across steps;
- the prompt is prefilled eagerly (one forward, masks built here, logits for the last position only);
- every later token comes from one replay of a CUDA graph holding the whole decode step: the
  model's forward (LoRA layers included), sampling (temperature / top-k / top-p / min-p through
  the Gumbel-max trick, so no host sync), EOS bookkeeping and the in-place advance of positions,
  mask and cache;
- two memory modes (`model.generation_memory`; auto picks fast while the merged LoRA weights
  take at most an eighth of free memory, else lean):
  - lean: the cache, the graph and its pool live only while generating and are freed
    before training resumes, so generation memory never stacks on the training step's; the graph is
    captured again at each generation (a fraction of a second). LoRA runs unmerged (PEFT's forward,
    inside the graph).
  - fast: everything is kept between generations, and LoRA is merged for generation only: each
    adapted 16-bit Linear gets a generation weight buffer W + scale * B @ A (computed in float32,
    refreshed in place before every generation), so a decode step launches one GEMM per projection
    instead of PEFT's seven kernels. The training weights are never touched (merging into bf16
    weights and unmerging would drift them). Skipped for 4-bit or other non-plain base layers, DoRA
    and other variants, or when the buffers would not fit.
- the graph reads the weights where they live. LoRA updates from the optimizer are in place (and
  the merged buffers are refreshed in place), so a kept graph stays valid across training steps;
  the parameters' addresses are checked before each generation and the graph is captured again if
  any moved.
- sampling works in place on one float32 copy of the logits plus one noise buffer, so a large
  generation batch costs its KV cache and two vocabulary-sized rows per sequence.

On the CPU (tests) the same step runs eagerly, so its output can be checked against
`model.generate`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

SUPPORTED_GEN_KWARGS = {
    "max_new_tokens",
    "min_new_tokens",
    "min_tokens",
    "do_sample",
    "pad_token_id",
    "bos_token_id",
    "eos_token_id",
    "temperature",
    "top_p",
    "top_k",
    "min_p",
    "repetition_penalty",
    "cache_implementation",
    "use_cache",
    "disable_compile",
}


class Unsupported(Exception):
    """The static path cannot serve these settings; the caller falls back to TRL's generate."""


@dataclass
class Sampling:
    max_new_tokens: int
    eos_ids: tuple[int, ...]
    pad_id: int
    temperature: float = 1.0
    top_k: int = 0
    top_p: float = 1.0
    min_p: float = 0.0
    min_new_tokens: int = 0
    greedy: bool = False

    @classmethod
    def from_generation_kwargs(cls, kw: dict[str, Any], eos_ids, pad_id: int) -> Sampling:
        unknown = sorted(k for k, v in kw.items() if k not in SUPPORTED_GEN_KWARGS and v is not None)
        if unknown:
            raise Unsupported(f"generation_kwargs {', '.join(unknown)} not supported by the static path")
        rp = kw.get("repetition_penalty")
        if rp not in (None, 1.0, 1):
            raise Unsupported(f"repetition_penalty={rp} not supported by the static path")
        eos = kw.get("eos_token_id", eos_ids)
        eos = tuple(int(e) for e in (eos if isinstance(eos, list | tuple) else [eos]) if e is not None)
        pad = kw.get("pad_token_id")
        return cls(
            max_new_tokens=int(kw["max_new_tokens"]),
            eos_ids=eos,
            pad_id=int(pad if pad is not None else pad_id if pad_id is not None else eos[0]),
            temperature=float(kw.get("temperature") or 1.0),
            top_k=int(kw.get("top_k") or 0),
            top_p=float(kw.get("top_p") if kw.get("top_p") is not None else 1.0),
            min_p=float(kw.get("min_p") or 0.0),
            min_new_tokens=int(kw.get("min_new_tokens") or kw.get("min_tokens") or 0),
            greedy=kw.get("do_sample") is False,
        )


def inner_model(model: Any) -> Any:
    """The transformers *ForCausalLM under PEFT / accelerate wrappers (LoRA layers live inside it)."""
    m = model
    for _ in range(4):
        if hasattr(m, "module") and not hasattr(m, "lm_head"):
            m = m.module
        elif hasattr(m, "get_base_model"):
            m = m.get_base_model()
        else:
            break
    return m


def kv_bytes_per_token(config: Any, dtype_bytes: int = 2) -> int:
    text = config.get_text_config(decoder=True) if hasattr(config, "get_text_config") else config
    heads = getattr(text, "num_key_value_heads", None) or text.num_attention_heads
    head_dim = getattr(text, "head_dim", None) or text.hidden_size // text.num_attention_heads
    return 2 * text.num_hidden_layers * heads * head_dim * dtype_bytes


def pick_generation_batch(
    *,
    per_step: int,
    num_generations: int,
    seq_len: int,
    config: Any,
    free_bytes: int,
    cap: int = 256,
    max_steps_per_generation: int = 16,
) -> int:
    """steps_per_generation for the largest generation batch that fits a quarter of free memory.

    Memory per sequence: its KV cache plus the float32 logits and noise rows and the prefill's
    transient (counted as four vocabulary-sized rows). The batch is a multiple of per_step (TRL's global train batch)
    and of num_generations; capped at `cap` sequences, beyond which decoding stops being
    launch-bound and the batch only goes more off-policy.
    """
    vocab = int(getattr(config.get_text_config(decoder=True) if hasattr(config, "get_text_config") else config, "vocab_size", 32000))
    per_seq = kv_bytes_per_token(config) * seq_len + 16 * vocab
    budget = max(free_bytes // 4, per_seq)
    best = 1
    for k in range(1, max_steps_per_generation + 1):
        batch = per_step * k
        if batch > cap or batch * per_seq > budget:
            break
        if batch % num_generations == 0:
            best = k
    return best


def lora_merge_targets(model: Any) -> tuple[list[tuple[Any, Any, Any, Any, float]], int]:
    """PEFT LoRA Linears whose adapter can be merged into a generation-only weight buffer, and the
    bytes those buffers would take: (module, base layer, A, B, scale) for plain 16/32-bit bases with
    one active, non-DoRA adapter."""
    import torch

    try:
        from peft.tuners.lora.layer import Linear as LoraLinear
    except Exception:  # noqa: BLE001
        return [], 0
    found = []
    for m in inner_model(model).modules():
        if not isinstance(m, LoraLinear) or getattr(m, "merged", False) or getattr(m, "fan_in_fan_out", False):
            continue
        base = m.get_base_layer()
        if type(base) is not torch.nn.Linear or not base.weight.is_floating_point():
            continue
        active = [a for a in m.active_adapters if a in m.lora_A]
        if len(active) != 1 or active[0] in getattr(m, "lora_variant", {}):
            continue
        a = active[0]
        if getattr(m, "use_dora", {}).get(a, False):
            continue
        found.append((m, base, m.lora_A[a].weight, m.lora_B[a].weight, float(m.scaling[a])))
    return found, sum(b.weight.numel() * b.weight.element_size() for _, b, *_ in found)


def memory_mode(model: Any, requested: str, free_bytes: int) -> str:
    """lean or fast for `model.generation_memory`; auto is fast while the merged LoRA weights would
    take at most an eighth of the free memory (small models, where the launch-bound decode gains
    most from merging), else lean (large models, where those buffers and a kept cache would crowd
    out training)."""
    if requested in ("lean", "fast"):
        return requested
    _found, need = lora_merge_targets(model)
    return "fast" if need <= free_bytes // 8 else "lean"


class StaticDecoder:
    """Static-cache decoding for one causal LM; one CUDA graph per (batch, cache length)."""

    def __init__(
        self,
        model: Any,
        sampling: Sampling,
        *,
        use_graphs: bool | None = None,
        bucket: int = 32,
        merge_lora: bool | None = None,
        keep: bool = True,
    ):
        import torch

        self.torch = torch
        self.model = inner_model(model)
        self.s = sampling
        self.device = next(self.model.parameters()).device
        self.use_graphs = self.device.type == "cuda" if use_graphs is None else use_graphs
        self.bucket = bucket
        self.batch = 0
        self.cache_len = 0
        self.graph = None
        self.graph_pool = None
        self._side = None
        self._ptrs: tuple[int, ...] | None = None
        self.captures = 0
        self.capture_s = 0.0
        self.last_shape = (0, 0)
        self.calls = 0
        self.keep = keep  # False: free the cache and graph after each generation (lean memory)
        attn = getattr(self.model.config, "_attn_implementation", "sdpa")
        self.bool_mask = attn not in ("eager",)
        self.dtype = next(p.dtype for p in self.model.parameters() if p.is_floating_point())
        self.merged: list[tuple[Any, Any, Any, Any, float, Any]] = []  # (module, base, A, B, scale, buffer)
        self.merge_lora = merge_lora if merge_lora is not None else True
        if self.merge_lora:
            self._setup_merge()

    # ---- LoRA merged into generation-only weight buffers ------------------------------------
    def _setup_merge(self) -> None:
        torch = self.torch
        found, need = lora_merge_targets(self.model)
        if not found:
            return
        if self.device.type == "cuda":
            free, _ = torch.cuda.mem_get_info(self.device)
            if need > free // 4:
                return  # not worth the memory: keep PEFT's unmerged forward
        for m, base, A, B, scale in found:
            buf = torch.empty_like(base.weight, memory_format=torch.contiguous_format)
            self.merged.append((m, base, A, B, scale, buf))

    def _refresh_merged(self) -> None:
        torch = self.torch
        with torch.no_grad():
            for _m, base, A, B, scale, buf in self.merged:
                w = torch.addmm(base.weight.float(), B.float(), A.float(), alpha=scale)
                buf.copy_(w)

    def _patch(self) -> None:
        F = self.torch.nn.functional
        for m, base, _A, _B, _scale, buf in self.merged:
            bias = base.bias

            def fwd(x, *args, _w=buf, _b=bias, **kwargs):
                return F.linear(x, _w, _b)

            m.forward = fwd

    def _unpatch(self) -> None:
        for m, *_ in self.merged:
            m.__dict__.pop("forward", None)

    # ---- buffers ----------------------------------------------------------------------------
    def _alloc(self, batch: int, cache_len: int) -> None:
        torch = self.torch
        from transformers import StaticCache

        self.free()
        dev = self.device
        self.batch, self.cache_len = batch, cache_len
        self.last_shape = (batch, cache_len)  # kept after a lean free(), for reports
        self.cache = StaticCache(config=self.model.config, max_cache_len=cache_len)
        n = self.s.max_new_tokens
        self.tok = torch.zeros(batch, 1, dtype=torch.long, device=dev)
        self.pos = torch.zeros(batch, 1, dtype=torch.long, device=dev)
        self.cpos = torch.zeros(1, dtype=torch.long, device=dev)
        self.step_idx = torch.zeros(1, dtype=torch.long, device=dev)
        self.out = torch.full((batch, n), self.s.pad_id, dtype=torch.long, device=dev)
        self.done = torch.zeros(batch, dtype=torch.bool, device=dev)
        if self.bool_mask:
            self.mask = torch.zeros(batch, 1, 1, cache_len, dtype=torch.bool, device=dev)
        else:
            self.mask = torch.full((batch, 1, 1, cache_len), torch.finfo(self.dtype).min, dtype=self.dtype, device=dev)
        self.eos = torch.tensor(self.s.eos_ids or [-1], dtype=torch.long, device=dev)
        self.neg_inf = torch.tensor(-math.inf, device=dev)

    def release(self) -> None:
        """Free everything, the merged weight buffers too (the decoder is not used again)."""
        self.free()
        self.merged = []

    def free(self) -> None:
        self.graph = None
        self.graph_pool = None
        for name in ("cache", "tok", "pos", "cpos", "step_idx", "out", "done", "mask"):
            if hasattr(self, name):
                delattr(self, name)
        self.batch = self.cache_len = 0

    def _param_ptrs(self) -> tuple[int, ...]:
        return tuple(p.data_ptr() for p in self.model.parameters()) + tuple(b.data_ptr() for *_, b in self.merged)

    # ---- sampling (graph-safe: no host sync) ------------------------------------------------
    def _sample(self, logits, step):
        """Next tokens; works in place on one float32 copy of the logits and one noise buffer."""
        torch = self.torch
        s = self.s
        logits = logits.float()
        if s.min_new_tokens > 0 and s.eos_ids:
            block = (step < s.min_new_tokens).view(1, 1)
            cols = logits.index_select(1, self.eos)
            logits.index_copy_(1, self.eos, torch.where(block, self.neg_inf, cols))
        if s.greedy:
            return logits.argmax(dim=-1)
        if s.temperature != 1.0:
            logits.div_(s.temperature)
        if s.top_k and s.top_k > 0 and s.top_k < logits.size(-1):
            kth = torch.topk(logits, s.top_k, dim=-1).values[:, -1:]
            logits.masked_fill_(logits < kth, -math.inf)
        if s.min_p and s.min_p > 0:
            probs = logits.softmax(-1)
            thresh = probs.max(dim=-1, keepdim=True).values * s.min_p
            logits.masked_fill_(probs < thresh, -math.inf)
            del probs
        if s.top_p < 1.0:
            sorted_logits, idx = torch.sort(logits, dim=-1, descending=True)
            cum = sorted_logits.softmax(-1).cumsum(-1)
            drop = (cum - sorted_logits.softmax(-1)) > s.top_p
            sorted_logits = sorted_logits.masked_fill(drop, -math.inf)
            logits = torch.full_like(logits, -math.inf).scatter(1, idx, sorted_logits)
        # Gumbel-max: argmax(logits - log(-log(u))) samples from softmax(logits) without a host sync
        g = torch.rand_like(logits).clamp_(1e-10, 1.0 - 1e-7)
        g.log_().neg_().log_()
        return logits.sub_(g).argmax(dim=-1)

    # ---- one decode step: everything in place ---------------------------------------------
    def _decode_step(self) -> None:
        torch = self.torch
        fill = True if self.bool_mask else 0.0
        self.mask.index_fill_(3, self.cpos, fill)
        out = self.model(
            input_ids=self.tok,
            position_ids=self.pos,
            attention_mask=self.mask,
            past_key_values=self.cache,
            use_cache=True,
            logits_to_keep=1,
        )
        nxt = self._sample(out.logits[:, -1, :], self.step_idx)
        nxt = torch.where(self.done, torch.full_like(nxt, self.s.pad_id), nxt)
        self.out.index_copy_(1, self.step_idx, nxt.unsqueeze(1))
        self.done |= torch.isin(nxt, self.eos)
        self.tok.copy_(nxt.unsqueeze(1))
        self.cpos += 1
        self.pos += 1
        self.step_idx += 1

    def _capture(self) -> None:
        torch = self.torch
        import time

        torch.cuda.synchronize()
        t0 = time.perf_counter()
        if self._side is None:
            # one warm-up stream for every capture: cuBLAS keeps a workspace per stream it has run on,
            # so a new stream per capture (lean mode captures at each generation) would leak one each
            self._side = torch.cuda.Stream()
        side = self._side
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            self._decode_step()  # warm-up on a side stream; a real step of this generation
        torch.cuda.current_stream().wait_stream(side)
        self.graph_pool = torch.cuda.graph_pool_handle()
        g = torch.cuda.CUDAGraph()
        with torch.cuda.graph(g, pool=self.graph_pool):
            self._decode_step()  # recorded, not run
        self.graph = g
        self._ptrs = self._param_ptrs()
        self.captures += 1
        torch.cuda.synchronize()
        self.capture_s += time.perf_counter() - t0

    # ---- prefill ----------------------------------------------------------------------------
    def _prefill(self, prompts: list[list[int]]) -> int:
        torch = self.torch
        dev = self.device
        B, L = self.batch, self.cache_len
        P = max(len(p) for p in prompts)
        ids = torch.full((B, P), self.s.pad_id, dtype=torch.long)
        pad = torch.zeros(B, dtype=torch.long)
        for i in range(B):
            p = prompts[i] if i < len(prompts) else prompts[0]
            ids[i, P - len(p) :] = torch.tensor(p, dtype=torch.long)
            pad[i] = P - len(p)
        ids, pad = ids.to(dev), pad.to(dev)
        for layer in self.cache.layers:
            if getattr(layer, "is_initialized", False):
                layer.cumulative_length.zero_()
        i = torch.arange(P, device=dev).view(1, 1, P, 1)
        j = torch.arange(L, device=dev).view(1, 1, 1, L)
        padb = pad.view(B, 1, 1, 1)
        allowed = (j <= i) & ((j >= padb) | (j == i))
        pos = (torch.arange(P, device=dev).view(1, P) - pad.view(B, 1)).clamp_(min=0)
        mask = allowed if self.bool_mask else torch.where(allowed, 0.0, torch.finfo(self.dtype).min).to(self.dtype)
        out = self.model(
            input_ids=ids, position_ids=pos, attention_mask=mask, past_key_values=self.cache, use_cache=True,
            logits_to_keep=1,
        )
        self.step_idx.zero_()
        self.done.zero_()
        self.out.fill_(self.s.pad_id)
        first = self._sample(out.logits[:, -1, :], self.step_idx)
        self.out[:, 0] = first
        self.done |= torch.isin(first, self.eos)
        self.tok.copy_(first.unsqueeze(1))
        self.cpos.fill_(P)
        self.pos.copy_(P - pad.view(B, 1))
        jj = torch.arange(L, device=dev).view(1, L)
        dmask = (jj < P) & (jj >= pad.view(B, 1))
        if self.bool_mask:
            self.mask.copy_(dmask.view(B, 1, 1, L))
        else:
            self.mask.copy_(torch.where(dmask, 0.0, torch.finfo(self.dtype).min).view(B, 1, 1, L))
        self.step_idx.fill_(1)
        return P

    # ---- public -----------------------------------------------------------------------------
    def generate(self, prompts: list[list[int]], *, check_every: int = 16) -> list[list[int]]:
        """Completions for left-aligned prompt token lists; each cut after its first EOS (kept)."""
        torch = self.torch
        n = len(prompts)
        P = max(len(p) for p in prompts)
        need_len = -(-P // self.bucket) * self.bucket + self.s.max_new_tokens
        batch = max(n, self.batch)
        if batch != self.batch or need_len > self.cache_len:
            self._alloc(batch, max(need_len, self.cache_len if batch == self.batch else 0))
        elif self.graph is not None and self._param_ptrs() != self._ptrs:
            self.graph = None  # a weight moved (reload, dtype cast): capture again
        was_training = self.model.training
        self.model.eval()
        if self.merged:
            self._refresh_merged()
            self._patch()
        try:
            with torch.no_grad():
                self._prefill(prompts)
                steps = self.s.max_new_tokens - 1
                t = 0
                while t < steps:
                    if self.use_graphs:
                        if self.graph is None:
                            self._capture()  # runs one real step, records the next
                        else:
                            self.graph.replay()
                    else:
                        self._decode_step()
                    t += 1
                    if t % check_every == 0 and bool(self.done.all()):
                        break
                out = self.out[:n].tolist()
        finally:
            self._unpatch()
            if was_training:
                self.model.train()
            if not self.keep:
                self.free()
        self.calls += 1
        eos = set(self.s.eos_ids)
        result = []
        for row in out:
            cut = len(row)
            for k, tok in enumerate(row):
                if tok in eos:
                    cut = k + 1
                    break
            result.append(row[:cut])
        return result

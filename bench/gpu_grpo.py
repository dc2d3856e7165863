"""GRPO throughput and learning through every engine and generation path, as the product runs them.

Each path is one engine process running `rl_studio.engine.run.run_engine(RUN_DIR)` -- the code
`rl-studio train` starts -- on a run directory made the way `rl-studio train` makes it. The parent
reads the run's events.jsonl (step times, completion tokens, rewards); the child adds its peak GPU
memory. Results go to bench/results/<date>-<card>.json (merged into an existing file of that name,
so the workloads may run in separate calls on one machine).

Workloads
- decode: the static-cache decoder alone (eager vs CUDA graphs) at several batch sizes, against
  `model.generate` with a dynamic cache, on the throughput model. Reference figures, not GRPO.
- throughput: a random-weight Qwen2.5-0.5B-shaped model (the tiny test tokenizer; completions
  forced to max_completion_length with min_new_tokens), one run per path.
- learning: SmolLM2-135M-Instruct (builtin) on builtin:arithmetic with correctness + boxed_format;
  the reward must rise.

    python bench/gpu_grpo.py --workloads decode,throughput --paths default,trl_default
    python bench/gpu_grpo.py --tiny          # CPU smoke test of the whole script (tiny shapes)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# path name -> (model section overrides, grpo overrides, note)
THROUGHPUT_PATHS: dict[str, tuple[dict, dict, str]] = {
    "default": ({"engine": "auto", "generation": "auto"}, {}, "engine auto, generation auto: what a user gets"),
    "static_fast": (
        {"engine": "trl", "generation": "static", "generation_memory": "fast"},
        {},
        "static path with generation_memory = fast (graphs kept, LoRA merged), auto generation batch",
    ),
    "static_b64": (
        {"engine": "trl", "generation": "static", "generation_memory": "lean"},
        {"steps_per_generation": 8},
        "static path (lean) at a generation batch of 64",
    ),
    "static_lean": (
        {"engine": "trl", "generation": "static", "generation_memory": "lean"},
        {},
        "static path with generation_memory = lean (freed after each generation, LoRA unmerged), auto batch",
    ),
    "static_b8": (
        {"engine": "trl", "generation": "static", "generation_memory": "lean"},
        {"steps_per_generation": 1},
        "static cache + CUDA graphs (lean) at TRL's default generation batch",
    ),
    "trl_default": ({"engine": "trl", "generation": "trl"}, {}, "plain TRL 1.15 defaults"),
    "trl_static_kwarg": (
        {"engine": "trl", "generation": "trl"},
        {"cache_implementation": "static"},
        "TRL's own cache_implementation=static",
    ),
    "trl_continuous": (
        {"engine": "trl", "generation": "continuous"},
        {"steps_per_generation": 8},
        "TRL use_transformers_continuous_batching, generation batch 64",
    ),
    "unsloth": ({"engine": "unsloth", "generation": "trl"}, {}, "Unsloth 2026.10.9, its own generate"),
    "unsloth_same_batch": (
        {"engine": "unsloth", "generation": "trl"},
        {"steps_per_generation": "DEFAULT"},
        "Unsloth 2026.10.9, its own generate, at the generation batch the default path picked (same settings)",
    ),
    "unsloth_static": (
        {"engine": "unsloth", "generation": "static"},
        {},
        "Unsloth engine with the static-cache path (falls back if Unsloth's forward cannot be captured)",
    ),
    "vllm": ({"engine": "auto", "generation": "vllm", "fast_inference": True}, {}, "auto with fast_inference: vLLM colocated"),
    "vllm_trl_colocate": (
        {"engine": "trl", "generation": "vllm"},
        {},
        "TRL use_vllm=True, vllm_mode=colocate",
    ),
    "vllm_unsloth": (
        {"engine": "unsloth", "generation": "vllm", "fast_inference": True},
        {},
        "Unsloth fast_inference=True (colocated vLLM sharing weights with training)",
    ),
    "vllm_unsloth_b128": (
        {"engine": "unsloth", "generation": "vllm", "fast_inference": True},
        {"steps_per_generation": 16},
        "Unsloth fast_inference=True at the default path's generation batch (128)",
    ),
    "vllm_unsloth_standby": (
        {"engine": "unsloth", "generation": "vllm", "fast_inference": True, "vllm_standby": True},
        {},
        "Unsloth fast_inference=True in standby mode (UNSLOTH_VLLM_STANDBY=1)",
    ),
}
for _name, (_model, _grpo, _note) in THROUGHPUT_PATHS.items():
    if _name.startswith("vllm"):
        _model.setdefault("gpu_memory_utilization", 0.5)
VLLM_MISSING = (
    "vllm is not installed here; on the offline GPU host carry it with bench/vllm_ferry.sh (vllm 0.25.1 and "
    "43 dependency wheels, 311 MiB in 6 parts over 6 back-to-back calls)"
)

QWEN05 = dict(
    hidden_size=896,
    intermediate_size=4864,
    num_hidden_layers=24,
    num_attention_heads=14,
    num_key_value_heads=2,
    max_position_embeddings=32768,
    rope_theta=1000000.0,
    vocab_size=151936,
    tie_word_embeddings=True,
)
TINY = dict(
    hidden_size=64,
    intermediate_size=128,
    num_hidden_layers=2,
    num_attention_heads=4,
    num_key_value_heads=2,
    max_position_embeddings=2048,
    vocab_size=1024,
    tie_word_embeddings=True,
)


DEADLINE = [float("inf")]


def remaining() -> float:
    return DEADLINE[0] - time.time()


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


# ---- models --------------------------------------------------------------------------------
def build_random_qwen(out: Path, shape: dict, seed: int = 0) -> Path:
    if (out / "config.json").is_file():
        return out
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    from tests.tiny_model import train_tokenizer

    tok = train_tokenizer()
    cfg = Qwen2Config(
        **shape,
        initializer_range=0.02,
        eos_token_id=tok.eos_token_id,
        pad_token_id=tok.pad_token_id,
        bos_token_id=None,
    )
    torch.manual_seed(seed)
    dev = "cuda" if torch.cuda.is_available() else "cpu"
    with torch.device(dev):
        model = Qwen2ForCausalLM(cfg)
    if dev == "cuda":
        model = model.to(torch.bfloat16)
    model.generation_config.eos_token_id = tok.eos_token_id
    model.generation_config.pad_token_id = tok.pad_token_id
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    tok.save_pretrained(out)
    del model
    return out


# ---- one engine process --------------------------------------------------------------------
class PhasePeaks:
    """Peak GPU memory per phase: generation (TRL's _generate_and_score_completions, which holds the
    generate call and the old-log-prob pass), the rest of the training step, and everything else.

    Each phase boundary folds the allocator's peak into the phase that just ran and resets it, so
    the run's overall peak is the largest of the three."""

    def __init__(self, torch):
        self.torch = torch
        self.stack = ["other"]
        self.alloc: dict[str, int] = {}
        self.reserved: dict[str, int] = {}

    def fold(self, phase: str) -> None:
        cuda = self.torch.cuda
        self.alloc[phase] = max(self.alloc.get(phase, 0), cuda.max_memory_allocated())
        self.reserved[phase] = max(self.reserved.get(phase, 0), cuda.max_memory_reserved())
        cuda.reset_peak_memory_stats()

    def wrap(self, obj, attr: str, phase: str) -> None:
        fn = getattr(obj, attr, None)
        if fn is None:
            return

        def wrapped(*args, **kwargs):
            self.fold(self.stack[-1])
            self.stack.append(phase)
            try:
                return fn(*args, **kwargs)
            finally:
                self.fold(self.stack.pop())

        setattr(obj, attr, wrapped)

    def hook(self) -> None:
        from rl_studio.engine import generation

        attach = generation.GenerationPlan.attach
        peaks = self

        def attach_and_wrap(plan, trainer):
            attach(plan, trainer)
            peaks.wrap(trainer, "training_step", "train_step")
            peaks.wrap(trainer, "_generate_and_score_completions", "generation")

        generation.GenerationPlan.attach = attach_and_wrap

    def report(self) -> dict:
        self.fold(self.stack[-1])
        gb = lambda d: {k: round(v / 1e9, 3) for k, v in d.items()}  # noqa: E731
        return {
            "peak_allocated_gb": max(self.alloc.values()) / 1e9,
            "peak_reserved_gb": max(self.reserved.values()) / 1e9,
            "peak_allocated_gb_by_phase": gb(self.alloc),
            "peak_reserved_gb_by_phase": gb(self.reserved),
        }


def child(run_dir: Path, peak_file: Path) -> int:
    import torch

    from rl_studio.engine.run import run_engine

    peaks = PhasePeaks(torch) if torch.cuda.is_available() else None
    if peaks:
        peaks.hook()
    t0 = time.time()
    rc = run_engine(run_dir)
    out = {"rc": rc, "wall_s": time.time() - t0}
    if peaks:
        out.update(peaks.report())
    peak_file.write_text(json.dumps(out))
    return rc


def make_run(data: dict, runs: Path, name: str) -> Path:
    from rl_studio import config as config_mod
    from rl_studio.rundir import CONFIG_FILE, claim_new

    data = json.loads(json.dumps(data))
    data.setdefault("run", {}).update(name=name, output_dir=str(runs))
    cfg = config_mod.from_dict(data, base_dir=runs).absolutized()
    run_dir = cfg.run_dir
    if run_dir.exists():
        import shutil

        shutil.rmtree(run_dir)
    claim_new(run_dir)
    cfg.save(run_dir / CONFIG_FILE)
    return run_dir


def read_events(run_dir: Path) -> list[dict]:
    p = run_dir / "events.jsonl"
    if not p.is_file():
        return []
    out = []
    for line in p.read_text().splitlines():
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            pass
    return out


def summarize(events: list[dict]) -> dict:
    steps = [e for e in events if e.get("type") == "step"]
    res: dict = {"steps_done": len(steps)}
    if not steps:
        return res
    gen = [i for i, s in enumerate(steps) if (s.get("completion_tokens") or 0) > 0]
    # steady state: whole generation cycles (one generation and the training steps that use it) from
    # the second generation on; the first holds load, compile and graph capture, and a last cycle
    # cut short by max_steps would count a generation's tokens against too few training steps
    start = gen[1] if len(gen) > 1 else (1 if len(steps) > 1 else 0)
    end = len(steps)
    if len(gen) > 2 and len(steps) - gen[-1] < gen[1] - gen[0]:
        end = gen[-1]
    window = steps[start:end]
    tokens = sum(s.get("completion_tokens") or 0 for s in window)
    secs = sum(s.get("step_time") or 0.0 for s in window)
    all_tokens = sum(s.get("completion_tokens") or 0 for s in steps)
    all_secs = sum(s.get("step_time") or 0.0 for s in steps)
    res.update(
        tokens_per_s=round(tokens / secs, 1) if secs and tokens else None,
        tokens_per_s_all_steps=round(all_tokens / all_secs, 1) if all_secs and all_tokens else None,
        s_per_step=round(secs / len(window), 3) if window else None,
        steady_steps=len(window),
        steady_tokens=tokens,
        first_step_s=round(steps[0].get("step_time") or 0.0, 2),
        generation_steps=len(gen),
    )
    rewards = [s["metrics"].get("reward") for s in steps if s.get("metrics", {}).get("reward") is not None]
    if rewards:
        k = max(1, min(5, len(rewards) // 4))
        res["reward_start"] = round(sum(rewards[:k]) / k, 4)
        res["reward_end"] = round(sum(rewards[-k:]) / k, 4)
        res["reward_curve"] = [round(r, 3) for r in rewards]
    lengths = [s["metrics"].get("completions/mean_length") for s in steps if s.get("metrics")]
    lengths = [x for x in lengths if x is not None]
    if lengths:
        res["mean_completion_length"] = round(sum(lengths) / len(lengths), 1)
    return res


def run_path(name: str, data: dict, runs: Path, timeout: float, env_extra: dict | None = None) -> dict:
    timeout = max(30.0, min(timeout, remaining() - 15))
    run_dir = make_run(data, runs, name)
    peak_file = run_dir / "peak.json"
    env = dict(os.environ)
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.update(env_extra or {})
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", str(run_dir), "--peak", str(peak_file)]
    log(f"path {name}: starting ({run_dir})")
    t0 = time.time()
    with open(run_dir / "engine.log", "ab") as logf:
        proc = subprocess.Popen(cmd, stdout=logf, stderr=subprocess.STDOUT, env=env, cwd=str(run_dir), start_new_session=True)
        try:
            proc.wait(timeout=timeout)
            timed_out = False
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            timed_out = True
    events = read_events(run_dir)
    res = summarize(events)
    res["wall_s"] = round(time.time() - t0, 1)
    res["timed_out"] = timed_out
    if peak_file.is_file():
        res.update(json.loads(peak_file.read_text()))
    fin = [e for e in events if e.get("type") == "run_finished"]
    if fin:
        res["outcome"] = fin[-1].get("outcome")
        if fin[-1].get("error"):
            res["error"] = fin[-1]["error"]
            res["where"] = fin[-1].get("where")
    res["warnings"] = [e.get("message") for e in events if e.get("type") == "warning"]
    res["generation_status"] = [
        e.get("message") for e in events if e.get("type") == "status" and "generation" in str(e.get("message"))
    ]
    started = [e for e in events if e.get("type") == "run_started"]
    if started:
        res["engine"] = started[-1].get("engine")
        res["versions"] = started[-1].get("versions")
    gpu_ev = [e for e in events if e.get("type") == "gpu"]
    if gpu_ev:
        try:
            res["nvml_peak_used_gib"] = round(max(g["gpus"][0].get("mem_used_mib", 0) for g in gpu_ev) / 1024, 2)
        except Exception:  # noqa: BLE001
            pass
    if not res.get("tokens_per_s") and not timed_out and res.get("outcome") != "completed":
        tail = (run_dir / "engine.log").read_text(errors="replace").splitlines()[-15:]
        res["log_tail"] = tail
    log(
        f"path {name}: {res.get('outcome', 'no outcome')}{' (timed out)' if timed_out else ''}, "
        f"{res.get('tokens_per_s')} tok/s, {res.get('s_per_step')} s/step, peak {res.get('peak_allocated_gb')}"
        f" GB, reward {res.get('reward_start')} -> {res.get('reward_end')}, {res['wall_s']} s"
    )
    return res


# ---- workloads -----------------------------------------------------------------------------
def throughput_config(model_dir: Path, tiny: bool) -> dict:
    n = 16 if tiny else 256
    return {
        "model": {"name": str(model_dir), "max_seq_length": 1024},
        "lora": {"r": 16, "alpha": 16, "dropout": 0.0},
        "dataset": {"source": "builtin:arithmetic", "answer_column": "answer", "max_samples": 512},
        "rewards": [{"name": "boxed_format"}],
        "grpo": {
            "num_generations": 8,
            "per_device_train_batch_size": 8,
            "max_completion_length": n,
            "generation_kwargs": {"min_new_tokens": n},
            "learning_rate": 1e-5,
            "beta": 0.0,
            "loss_type": "dr_grpo",
        },
        "run": {"save_steps": 100000, "seed": 3407},
    }


def steps_for(path: str, tiny: bool) -> int:
    if tiny:
        return 4
    return {
        "trl_default": 3,
        "trl_static_kwarg": 2,
        "unsloth": 3,
        "unsloth_static": 3,
        "trl_continuous": 16,
        "static_b8": 6,
        "static_b64": 24,
        "vllm_unsloth_b128": 32,
    }.get(path, 12 if path.startswith("vllm") else 40)


def default_steps_per_generation(default: dict, base: dict) -> int:
    """The steps_per_generation the default path picked (from its status events), else 16."""
    import re

    for msg in default.get("generation_status") or []:
        m = re.search(r"generation batch (\d+)", msg or "")
        if m:
            return max(1, int(m.group(1)) // int(base["grpo"]["per_device_train_batch_size"]))
    return 16


def workload_throughput(
    paths: list[str], work: Path, tiny: bool, timeout: float, prev_default: dict | None = None
) -> dict:
    model_dir = build_random_qwen(work / ("tiny-qwen" if tiny else "qwen2.5-0.5b-shape-random"), TINY if tiny else QWEN05)
    base = throughput_config(model_dir, tiny)
    out = {"model": "random-weight Qwen2.5-0.5B shape" if not tiny else "random tiny Qwen2", "config": base, "paths": {}}
    for name in paths:
        if name.startswith("vllm") and not _vllm_present():
            out["paths"][name] = {"ran": False, "reason": VLLM_MISSING}
            log(f"path {name}: not run ({VLLM_MISSING[:60]}...)")
            continue
        if remaining() < 75:
            out["paths"][name] = {"ran": False, "reason": "skipped: this call's time budget was spent"}
            log(f"path {name}: skipped (budget)")
            continue
        model_over, grpo_over, note = THROUGHPUT_PATHS[name]
        data = json.loads(json.dumps(base))
        data["model"].update(model_over)
        data["grpo"].update(grpo_over)
        data["grpo"]["max_steps"] = steps_for(name, tiny)
        if data["grpo"].get("steps_per_generation") == "DEFAULT":
            k = default_steps_per_generation(out["paths"].get("default") or prev_default or {}, base)
            data["grpo"]["steps_per_generation"] = k
            data["grpo"]["max_steps"] = 2 * k  # two whole generation cycles: the second is timed
            note += f" (steps_per_generation {k})"
        env = {"RL_STUDIO_STATIC_ON_CPU": "1"} if tiny else {}
        if name.startswith("vllm"):  # vLLM's SamplingParams spells it min_tokens
            data["grpo"]["generation_kwargs"] = {"min_tokens": data["grpo"]["max_completion_length"]}
        if name.endswith("standby"):
            env.update(UNSLOTH_VLLM_STANDBY="1", PYTORCH_ALLOC_CONF="", PYTORCH_CUDA_ALLOC_CONF="")
        if tiny and name.startswith("unsloth"):
            out["paths"][name] = {"ran": False, "reason": "unsloth needs an NVIDIA GPU"}
            continue
        if tiny and name == "trl_continuous":
            data["grpo"]["steps_per_generation"] = 2
        res = run_path(f"tp-{name}", data, work / "runs", timeout, env)
        res["note"] = note
        res["ran"] = True
        res["settings"] = {"model": model_over, "grpo": {k: data["grpo"][k] for k in grpo_over}, "max_steps": data["grpo"]["max_steps"]}
        out["paths"][name] = res
    return out


def workload_learning(work: Path, tiny: bool, timeout: float, steps: int, lr: float) -> dict:
    name = str(build_random_qwen(work / "tiny-qwen", TINY)) if tiny else "builtin:smollm2-135m-instruct"
    data = {
        "model": {"name": name, "engine": "auto", "generation": "auto", "max_seq_length": 512},
        "lora": {"r": 16, "alpha": 32, "dropout": 0.0},
        "dataset": {
            "source": "builtin:arithmetic",
            "answer_column": "answer",
            "system_prompt": "Solve the problem. Give the final answer as \\boxed{N}.",
            "max_samples": 1024,
        },
        "rewards": [{"name": "correctness"}, {"name": "boxed_format", "weight": 0.5}],
        "grpo": {
            "num_generations": 8,
            "per_device_train_batch_size": 16,
            "steps_per_generation": 2 if tiny else 4,
            "max_completion_length": 16 if tiny else 160,
            "learning_rate": lr,
            "beta": 0.0,
            "loss_type": "dr_grpo",
            "max_steps": 4 if tiny else steps,
            "temperature": 1.0,
        },
        "run": {"save_steps": 100000, "seed": 3407},
    }
    env = {"RL_STUDIO_STATIC_ON_CPU": "1"} if tiny else {}
    res = run_path("learning-default", data, work / "runs", timeout, env)
    res["config"] = data
    res["reward_rose"] = bool(
        res.get("reward_start") is not None and res.get("reward_end") is not None and res["reward_end"] > res["reward_start"]
    )
    return res


def workload_decode(work: Path, tiny: bool, batches: list[int]) -> dict:
    """The decoder alone: tokens/s of static+graphs, static eager and HF generate (dynamic cache)."""
    import torch
    from transformers import AutoModelForCausalLM

    from rl_studio.engine.static_generation import Sampling, StaticDecoder

    model_dir = build_random_qwen(work / ("tiny-qwen" if tiny else "qwen2.5-0.5b-shape-random"), TINY if tiny else QWEN05)
    cuda = torch.cuda.is_available()
    dtype = torch.bfloat16 if cuda else torch.float32
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=dtype).to("cuda" if cuda else "cpu")
    from peft import LoraConfig, get_peft_model

    model = get_peft_model(
        model,
        LoraConfig(r=16, lora_alpha=16, target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]),
    )
    n_new = 16 if tiny else 256
    prompt_len = 12 if tiny else 100
    out: dict = {"max_new_tokens": n_new, "prompt_len": prompt_len, "lora_r": 16, "batches": {}}
    g = torch.Generator().manual_seed(0)
    for b in batches:
        prompts = [torch.randint(10, 300, (prompt_len - (i % 7),), generator=g).tolist() for i in range(b)]
        row: dict = {}
        s = Sampling(max_new_tokens=n_new, eos_ids=(2,), pad_id=0, min_new_tokens=n_new)
        variants = [("static_graphs_merged_lora", True, True), ("static_graphs_unmerged_lora", True, False)]
        if b == batches[0]:
            variants.append(("static_eager", False, True))
        for label, graphs, merge in variants:
            if graphs and not cuda:
                continue
            dec = StaticDecoder(model, s, use_graphs=graphs, merge_lora=merge)
            dec.generate(prompts)  # warm-up / capture
            if cuda:
                torch.cuda.synchronize()
            reps = 3 if graphs else 1
            t0 = time.perf_counter()
            for _ in range(reps):
                res = dec.generate(prompts)
            if cuda:
                torch.cuda.synchronize()
            dt = (time.perf_counter() - t0) / reps
            row[label] = round(sum(len(r) for r in res) / dt, 1)
            dec.release()
            del dec
        # in-place weight update: graphs must see it (greedy outputs equal eager after the update)
        if cuda and b == batches[0]:
            gs = Sampling(max_new_tokens=32, eos_ids=(2,), pad_id=0, greedy=True)
            dg, de = StaticDecoder(model, gs, use_graphs=True), StaticDecoder(model, gs, use_graphs=False)
            a1 = dg.generate(prompts)
            with torch.no_grad():
                for n_, p in model.named_parameters():
                    if "lora_B" in n_:
                        p.add_(torch.randn_like(p) * 0.05)
            a2, e2 = dg.generate(prompts), de.generate(prompts)
            same = sum(x == y for x, y in zip(a2, e2, strict=True))
            out["graph_sees_lora_update"] = {"changed_after_update": a1 != a2, "rows_equal_to_eager": f"{same}/{len(e2)}"}
            dg.release()
            de.release()
        ids = torch.nn.utils.rnn.pad_sequence(
            [torch.tensor(p[::-1]) for p in prompts], batch_first=True, padding_value=0
        ).flip(1)
        am = (ids != 0).long()
        dev = model.device
        t0 = time.perf_counter()
        with torch.no_grad():
            gen = model.generate(
                input_ids=ids.to(dev), attention_mask=am.to(dev), max_new_tokens=n_new, min_new_tokens=n_new,
                do_sample=True, pad_token_id=0, eos_token_id=2,
            )
        if cuda:
            torch.cuda.synchronize()
        row["hf_generate_dynamic"] = round((gen.shape[1] - ids.shape[1]) * b / (time.perf_counter() - t0), 1)
        out["batches"][str(b)] = row
        log(f"decode batch {b}: {row}")
        if cuda:
            torch.cuda.empty_cache()
    del model
    return out


def workload_acceptance(work: Path, tiny: bool, timeout: float) -> dict:
    """Issue 2's GPU check through the CLI: `rl-studio train` with engine unsloth (16-bit and 4-bit LoRA),
    then `rl-studio export --merged-16bit`, reloaded with plain transformers and asked to generate."""
    name = str(build_random_qwen(work / "tiny-qwen", TINY)) if tiny else "builtin:smollm2-135m-instruct"
    runs = work / "acceptance"
    if runs.exists():
        import shutil

        shutil.rmtree(runs)
    runs.mkdir(parents=True)
    cfg_file = runs / "accept.toml"
    cfg_file.write_text(
        f"""[model]
name = "{name}"
engine = "{'trl' if tiny else 'unsloth'}"
max_seq_length = 512
[lora]
r = 16
alpha = 16
[dataset]
source = "builtin:arithmetic"
answer_column = "answer"
system_prompt = "Give the final answer as \\\\boxed{{N}}."
max_samples = 256
[[rewards]]
name = "correctness"
[[rewards]]
name = "boxed_format"
weight = 0.5
[grpo]
num_generations = 4
per_device_train_batch_size = 8
max_completion_length = 64
max_steps = 5
learning_rate = 1e-4
[run]
name = "accept"
output_dir = "{runs}"
save_steps = 100000
"""
    )
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    out: dict = {"config": cfg_file.read_text(), "runs": {}}

    def cli(args: list[str], tmo: float) -> tuple[int, str, float]:
        t0 = time.time()
        tmo = max(20.0, min(tmo, remaining() - 10))
        log("$ rl-studio " + " ".join(args))
        try:
            p = subprocess.run([sys.executable, "-m", "rl_studio", *args], env=env, capture_output=True, text=True, timeout=tmo)
            text = (p.stdout + p.stderr)[-3000:]
            rc = p.returncode
        except subprocess.TimeoutExpired as e:
            text, rc = str(e)[-500:], 124
        print(text[-1200:], flush=True)
        return rc, text, time.time() - t0

    variants = {"lora16": [], "lora4": ["--set", "model.load_in_4bit=true"]}
    if tiny:
        variants = {"lora16": []}
    for label, extra in variants.items():
        if remaining() < 90:
            out["runs"][label] = {"ran": False, "reason": "skipped: this call's time budget was spent"}
            continue
        rc, text, wall = cli(["train", str(cfg_file), "--set", f"run.name={label}", *extra], timeout)
        run_dir = runs / label
        res = summarize(read_events(run_dir))
        ev = read_events(run_dir)
        started = [e for e in ev if e.get("type") == "run_started"]
        gpu_ev = [e for e in ev if e.get("type") == "gpu"]
        res.update(rc=rc, wall_s=round(wall, 1), engine=started[-1].get("engine") if started else None,
                   device=started[-1].get("device") if started else None,
                   warnings=[e.get("message") for e in ev if e.get("type") == "warning"])
        if gpu_ev:
            try:
                res["nvml_peak_used_gib"] = round(max(g["gpus"][0].get("mem_used_mib", 0) for g in gpu_ev) / 1024, 2)
            except Exception:  # noqa: BLE001
                pass
        if rc != 0:
            res["output_tail"] = text[-1500:]
        out["runs"][label] = res
    for label in out["runs"]:
        if out["runs"][label].get("rc") != 0 or remaining() < 60:
            continue
        target = runs / f"merged16-{label}"
        rc, text, wall = cli(["export", str(runs / label), "--merged-16bit", str(target)], timeout)
        exp = {"rc": rc, "wall_s": round(wall, 1)}
        if rc == 0:
            code = (
                "import torch,sys,json\n"
                "from transformers import AutoModelForCausalLM, AutoTokenizer\n"
                f"d={str(target)!r}\n"
                "dev='cuda' if torch.cuda.is_available() else 'cpu'\n"
                "tok=AutoTokenizer.from_pretrained(d); m=AutoModelForCausalLM.from_pretrained(d, dtype=torch.bfloat16 if dev=='cuda' else torch.float32).to(dev)\n"
                "msgs=[{'role':'user','content':'What is 7 plus 5? Give the final answer as \\\\boxed{N}.'}]\n"
                "ids=tok.apply_chat_template(msgs, add_generation_prompt=True, return_tensors='pt', return_dict=True).to(dev)\n"
                "out=m.generate(**ids, max_new_tokens=48, do_sample=False)\n"
                "print(json.dumps({'class': type(m).__name__, 'text': tok.decode(out[0, ids['input_ids'].shape[1]:], skip_special_tokens=True)}))\n"
            )
            p = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=timeout)
            line = [x for x in p.stdout.splitlines() if x.startswith("{")]
            exp["reload"] = json.loads(line[-1]) if line else {"error": (p.stdout + p.stderr)[-800:]}
            exp["files"] = sorted(f.name for f in target.iterdir()) if target.is_dir() else []
        else:
            exp["output_tail"] = text[-1500:]
        out["runs"][label]["export_merged_16bit"] = exp
        log(f"acceptance {label}: train rc {out['runs'][label].get('rc')}, export rc {rc}, reload {exp.get('reload')}")
    return out


def _vllm_present() -> bool:
    import importlib.util

    return importlib.util.find_spec("vllm") is not None


def card_name() -> str:
    try:
        import torch

        if torch.cuda.is_available():
            return torch.cuda.get_device_name(0)
    except Exception:  # noqa: BLE001
        pass
    return "cpu"


def versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": sys.version.split()[0]}
    for name in ("torch", "transformers", "trl", "peft", "accelerate", "unsloth", "unsloth_zoo", "bitsandbytes", "vllm", "triton"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workloads", default="decode,throughput,learning")
    ap.add_argument("--paths", default=",".join(THROUGHPUT_PATHS))
    ap.add_argument("--tiny", action="store_true", help="CPU smoke test: tiny shapes, a few steps")
    ap.add_argument("--work", default="/tmp/rl-studio-bench")
    ap.add_argument("--out", default=None, help="result file (default bench/results/<date>-<card>.json)")
    ap.add_argument("--timeout", type=float, default=240.0, help="seconds per path")
    ap.add_argument("--learning-steps", type=int, default=96)
    ap.add_argument("--learning-lr", type=float, default=3e-4)
    ap.add_argument("--batches", default="8,64,128")
    ap.add_argument("--budget", type=float, default=None, help="seconds for the whole call; later paths are skipped")
    ap.add_argument("--child", default=None)
    ap.add_argument("--peak", default=None)
    a = ap.parse_args(argv)
    if a.child:
        return child(Path(a.child), Path(a.peak))

    if a.budget:
        DEADLINE[0] = time.time() + a.budget
    work = Path(a.work)
    work.mkdir(parents=True, exist_ok=True)
    card = card_name()
    date = datetime.now(UTC).strftime("%Y-%m-%d")
    slug = card.replace("NVIDIA ", "").replace(" ", "-").lower()
    out_path = Path(a.out) if a.out else ROOT / "bench" / "results" / f"{date}-{slug}.json"
    result = json.loads(out_path.read_text()) if out_path.is_file() else {}
    result.update(card=card, date=date, versions=versions())
    result.setdefault("commands", []).append("python " + " ".join([str(Path(__file__).relative_to(ROOT))] + (argv or sys.argv[1:])))
    workloads = [w for w in a.workloads.split(",") if w]

    def save() -> None:
        out_path.parent.mkdir(parents=True, exist_ok=True)
        out_path.write_text(json.dumps(result, indent=1, default=str))

    if "throughput" in workloads:
        prev = result.get("throughput", {})
        tp = workload_throughput(
            [p for p in a.paths.split(",") if p], work, a.tiny, a.timeout, prev.get("paths", {}).get("default")
        )
        prev_paths = prev.get("paths", {})
        prev_paths.update(tp["paths"])
        tp["paths"] = prev_paths
        result["throughput"] = tp
        paths = tp["paths"]
        d, t = paths.get("default", {}).get("tokens_per_s"), paths.get("trl_default", {}).get("tokens_per_s")
        if d and t:
            result["default_vs_trl"] = round(d / t, 2)
        for mine, theirs, key in (
            ("default", "unsloth_same_batch", "default_peak_vs_unsloth_same_settings"),
            ("default", "unsloth", "default_peak_vs_unsloth_trl_default_batch"),
            ("static_b8", "unsloth", "static_b8_peak_vs_unsloth_same_settings"),
        ):
            a_gb, b_gb = paths.get(mine, {}).get("peak_allocated_gb"), paths.get(theirs, {}).get("peak_allocated_gb")
            if a_gb and b_gb:
                result[key] = round(a_gb / b_gb, 3)
        save()
    if "learning" in workloads:
        result["learning"] = workload_learning(work, a.tiny, a.timeout, a.learning_steps, a.learning_lr)
        save()
    if "acceptance" in workloads:
        result["acceptance"] = workload_acceptance(work, a.tiny, a.timeout)
        save()
    if "decode" in workloads and remaining() > 90:
        try:
            result["decode"] = workload_decode(work, a.tiny, [int(b) for b in a.batches.split(",")])
        except Exception as e:  # noqa: BLE001 - the other workloads still run
            import traceback

            traceback.print_exc()
            result["decode"] = {"error": f"{type(e).__name__}: {e}"[:500]}
        save()
    # a short table last
    print("\n== results:", out_path)
    for name, r in result.get("throughput", {}).get("paths", {}).items():
        if r.get("ran"):
            print(f"  {name:18s} {str(r.get('tokens_per_s')):>9s} tok/s  {str(r.get('s_per_step')):>7s} s/step  "
                  f"peak {r.get('peak_allocated_gb')}  {r.get('outcome')}  {('; '.join(r.get('warnings') or []))[:120]}")
        else:
            print(f"  {name:18s} not run: {r.get('reason', '')[:90]}")
    if "default_vs_trl" in result:
        print("  default_vs_trl:", result["default_vs_trl"])
    if "learning" in result:
        L = result["learning"]
        print(f"  learning: reward {L.get('reward_start')} -> {L.get('reward_end')} rose={L.get('reward_rose')} "
              f"{L.get('tokens_per_s')} tok/s {L.get('outcome')}")
    for label, r in result.get("acceptance", {}).get("runs", {}).items():
        print(f"  acceptance {label}: rc {r.get('rc')} engine {r.get('engine')} steps {r.get('steps_done')} "
              f"{r.get('tokens_per_s')} tok/s, export {r.get('export_merged_16bit', {}).get('rc')} "
              f"reload {str(r.get('export_merged_16bit', {}).get('reload'))[:100]}")
    if "decode" in result:
        print("  decode:", json.dumps(result["decode"].get("batches", result["decode"]))[:600])
    return 0


if __name__ == "__main__":
    sys.exit(main())

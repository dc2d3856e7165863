"""Studio overhead: the same GRPO run with and without the studio callback and capturing reward wrappers.

Both variants are built with the engine's own helpers (prepare, load, apply_generation_path,
SampleCapture, StudioCallback) and run interleaved in one process, alternating which goes first,
with the same seed, so they generate the same completions and do the same work. A bare timing
callback in both measures each step (the interval between step ends, so the studio's on_log work
is inside it); the first step of each run is left out. Prints median and total ratios
studio / plain (goal: <= 1.03). Timing asserts do not belong in tests; this prints figures.

    python bench/overhead.py                       # tiny model on this machine (CPU or GPU)
    python bench/overhead.py --config run.toml --set grpo.max_steps=8 --reps 2 --json out.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def default_config(work: Path) -> Path:
    from tests.tiny_model import build_tiny_model

    model = work / "tiny-model"
    if not (model / "config.json").is_file():
        build_tiny_model(model, arch="qwen2", initializer_range=0.3, hidden=64)
    cfg = work / "overhead.toml"
    cfg.write_text(
        f"""[model]
name = "{model}"
engine = "trl"
[lora]
r = 8
alpha = 16
[dataset]
source = "builtin:arithmetic"
answer_column = "answer"
system_prompt = "Answer as \\\\boxed{{N}}."
max_samples = 256
[[rewards]]
name = "correctness"
[[rewards]]
name = "boxed_format"
weight = 0.5
[grpo]
num_generations = 4
per_device_train_batch_size = 8
max_completion_length = 24
max_steps = 8
learning_rate = 1e-3
[run]
name = "overhead"
save_steps = 100000
"""
    )
    return cfg


def one_run(cfg, studio: bool, work: Path) -> list[float]:
    from transformers import TrainerCallback
    from trl import GRPOTrainer

    from rl_studio.engine.callback import StudioCallback
    from rl_studio.engine.cpu_logprob import install_if_needed
    from rl_studio.engine.generation import apply_generation_path
    from rl_studio.engine.loading import load
    from rl_studio.engine.run import prepare
    from rl_studio.events import EventWriter
    from rl_studio.rewards.capture import SampleCapture

    run_dir = Path(tempfile.mkdtemp(prefix=("studio-" if studio else "plain-"), dir=work))
    prep = prepare(cfg, run_dir)
    if prep.engine == "unsloth":
        import unsloth  # noqa: F401
    loaded = load(cfg, prep.model_path, prep.engine)
    install_if_needed()
    args = prep.grpo_args
    times: list[float] = []

    class Timer(TrainerCallback):
        last = None

        def on_train_begin(self, *a, **k):
            Timer.last = time.perf_counter()

        def on_step_end(self, *a, **k):
            import torch

            if torch.cuda.is_available():
                torch.cuda.synchronize()
            now = time.perf_counter()
            times.append(now - Timer.last)
            Timer.last = now

    writer = EventWriter(run_dir) if studio else None
    plan = apply_generation_path(cfg, loaded, args, writer)
    callbacks: list = [Timer()]
    if studio:
        capture = SampleCapture(prep.rewards)
        rewards = [capture.wrap(r) for r in prep.rewards]
        callbacks.append(StudioCallback.for_run(writer, run_dir, capture, args, cfg))
    else:
        rewards = []
        for r in prep.rewards:
            f = r.func
            try:
                f.__name__ = r.name
            except (AttributeError, TypeError):
                pass
            rewards.append(f)
    trainer = GRPOTrainer(
        model=loaded.model,
        reward_funcs=rewards,
        args=args,
        train_dataset=prep.dataset,
        processing_class=loaded.tokenizer,
        peft_config=loaded.peft_config,
        callbacks=callbacks,
    )
    plan.attach(trainer)
    trainer.train()
    if writer is not None:
        writer.close()
    del trainer, loaded
    try:
        import gc

        import torch

        gc.collect()
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
    except Exception:  # noqa: BLE001
        pass
    return times[1:]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", default=None, help="a run config (default: a tiny-model config made here)")
    ap.add_argument("--set", action="append", default=[], dest="overrides", metavar="KEY=VALUE")
    ap.add_argument("--reps", type=int, default=3, help="pairs of runs (plain, studio), order alternating")
    ap.add_argument("--work", default=None)
    ap.add_argument("--json", default=None, help="also write the figures here")
    a = ap.parse_args(argv)

    from transformers.utils import logging as hf_logging

    from rl_studio import config as config_mod

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    work = Path(a.work or tempfile.mkdtemp(prefix="rl-studio-overhead-"))
    work.mkdir(parents=True, exist_ok=True)
    cfg_path = Path(a.config) if a.config else default_config(work)
    cfg = config_mod.load(cfg_path, a.overrides)
    plain: list[float] = []
    studio: list[float] = []
    pairs = []
    one_run(cfg, True, work)  # warm-up, discarded: first-run costs (kernel selection, imports) hit neither variant
    for rep in range(a.reps):
        order = (False, True) if rep % 2 == 0 else (True, False)
        got = {}
        for s in order:
            got[s] = one_run(cfg, s, work)
            (studio if s else plain).extend(got[s])
        pairs.append(sum(got[True]) / max(sum(got[False]), 1e-9))
        print(f"rep {rep + 1}: plain {sum(got[False]):.3f}s  studio {sum(got[True]):.3f}s  "
              f"ratio {pairs[-1]:.4f}", flush=True)
    res = {
        "config": str(cfg_path),
        "overrides": a.overrides,
        "reps": a.reps,
        "steps_timed_per_run": len(plain) // max(1, a.reps),
        "plain_median_step_s": statistics.median(plain),
        "studio_median_step_s": statistics.median(studio),
        "ratio_median": statistics.median(studio) / statistics.median(plain),
        "ratio_total": sum(studio) / sum(plain),
        "ratio_per_rep": pairs,
    }
    try:
        import torch

        res["device"] = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu"
    except Exception:  # noqa: BLE001
        res["device"] = "?"
    print(
        f"studio overhead on {res['device']}: median step {res['plain_median_step_s']:.4f}s -> "
        f"{res['studio_median_step_s']:.4f}s, ratio {res['ratio_median']:.4f} (median), "
        f"{res['ratio_total']:.4f} (total); goal <= 1.03"
    )
    if a.json:
        Path(a.json).write_text(json.dumps(res, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

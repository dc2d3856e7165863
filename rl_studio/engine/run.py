"""The engine process: load, prepare, train with GRPOTrainer, and report everything as events (UI-free core).

Started by `rl_studio.launch` as `python -m rl_studio.engine RUN_DIR` in its own session; its stdout
and stderr go to RUN_DIR/engine.log. Every outcome, including crashes, ends in a `run_finished` event.
"""

from __future__ import annotations

import os
import sys
import threading
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rl_studio import config as config_mod
from rl_studio import gpu
from rl_studio.errors import StudioError
from rl_studio.events import EventWriter, NullWriter, read_history
from rl_studio.rundir import CONFIG_FILE, PID_FILE, checkpoint_step, newest_checkpoint

OOM_HINT = (
    "out of GPU memory: lower grpo.per_device_train_batch_size, grpo.num_generations, "
    "grpo.max_completion_length or model.max_seq_length, set model.load_in_4bit = true, "
    "or lower model.gpu_memory_utilization when fast_inference is on"
)


@dataclass
class Prepared:
    """Everything the trainer needs except the model weights."""

    cfg: Any
    model_path: str
    engine: str
    dataset: Any
    rewards: list
    grpo_args: Any


def versions() -> dict[str, str]:
    out = {"python": sys.version.split()[0]}
    for name in ("rl_studio", "torch", "transformers", "trl", "peft", "accelerate", "datasets", "unsloth", "vllm"):
        mod = sys.modules.get(name)
        if mod is not None:
            out[name] = str(getattr(mod, "__version__", "?"))
    return out


def prepare(cfg, run_dir: Path, *, status=None, num_processes: int = 1) -> Prepared:
    """Every check that can fail on bad input, in the order a user would fix them."""
    from rl_studio.datasets import load_rows, to_prompt_dataset
    from rl_studio.engine.grpo_args import make_grpo_config
    from rl_studio.engine.loading import cuda_available, pick_dtype, pick_engine
    from rl_studio.models import resolve_model
    from rl_studio.rewards.resolve import resolve_rewards

    say = status or (lambda *a, **k: None)
    engine = pick_engine(cfg.model.engine, cfg.model)
    cuda = cuda_available()
    args = make_grpo_config(
        cfg, run_dir, cuda=cuda, bf16=pick_dtype(cfg.model.dtype) == "bfloat16", num_processes=num_processes
    )
    say("preparing_dataset", f"loading dataset {cfg.dataset.source}")
    rows = load_rows(cfg.dataset, base_dir=cfg.base_dir, seed=cfg.run.seed)
    dataset = to_prompt_dataset(rows, cfg.dataset)
    rewards = resolve_rewards(cfg, [c for c in dataset.column_names if c != "prompt"])
    say("loading_model", f"finding model {cfg.model.name}")
    model_path = resolve_model(cfg.model.name, cfg.base_dir)
    return Prepared(cfg, model_path, engine, dataset, rewards, args)


def _where(exc: BaseException) -> str:
    tb = traceback.extract_tb(exc.__traceback__)
    if not tb:
        return type(exc).__name__
    frame = tb[-1]
    return f"{Path(frame.filename).name}:{frame.lineno} in {frame.name}"


def _gpu_poller(writer: EventWriter, stop: threading.Event) -> None:
    while not stop.wait(5.0):
        snap = gpu.snapshot()
        if not snap:
            return
        writer.emit("gpu", gpus=snap)


def run_engine(run_dir: Path, *, resume: bool = False) -> int:
    run_dir = run_dir.resolve()
    is_main = int(os.environ.get("RANK", "0")) == 0  # under accelerate launch, only rank 0 writes
    writer = EventWriter(run_dir) if is_main else NullWriter()
    if is_main:
        (run_dir / PID_FILE).write_text(str(os.getpid()))
    history = read_history(run_dir)
    attempt = history.attempts + 1
    stop_gpu = threading.Event()
    outcome, error, where, user_error = "failed", None, None, False
    callback = None
    try:
        cfg = config_mod.load(run_dir / CONFIG_FILE)

        def say(phase: str, message: str, progress: float | None = None) -> None:
            writer.emit("status", phase=phase, message=message, progress=progress)

        say("loading_model", "importing the training stack (torch, transformers, trl)")
        callback, trainer, resume_from = build_trainer(cfg, run_dir, writer, say, resume=resume, attempt=attempt)
        snap = gpu.snapshot()
        if snap:
            writer.emit("gpu", gpus=snap)
            threading.Thread(target=_gpu_poller, args=(writer, stop_gpu), daemon=True).start()
        callback.install_signal_handlers()
        trainer.train(resume_from_checkpoint=str(resume_from) if resume_from else None)
        say("saving", "saving the final model")
        final = run_dir / "final"
        trainer.save_model(str(final))
        trainer.processing_class.save_pretrained(str(final))
        outcome = "stopped" if callback.stopped_by_user else "completed"
    except StudioError as e:
        error, where, user_error = str(e), e.where or "config", True
    except KeyboardInterrupt:
        outcome, error, where = "stopped", "interrupted before a step boundary", "signal"
    except BaseException as e:  # noqa: BLE001 - every crash still ends the stream
        if type(e).__name__ == "OutOfMemoryError" or "CUDA out of memory" in str(e):
            error, where, user_error = OOM_HINT, _where(e), True
        else:
            error, where = f"{type(e).__name__}: {e}".splitlines()[0][:500], _where(e)
        traceback.print_exc()
    finally:
        stop_gpu.set()
        writer.emit("run_finished", outcome=outcome, error=error, where=where, user_error=user_error)
        if is_main:
            try:  # after run_finished, so the summary states the outcome
                from rl_studio import summary

                summary.write_summary(run_dir)
            except Exception:  # noqa: BLE001 - a summary must never hide the outcome
                traceback.print_exc()
        writer.close()
        if is_main:
            (run_dir / PID_FILE).unlink(missing_ok=True)
    return 0 if outcome != "failed" else (2 if user_error else 1)


def build_trainer(cfg, run_dir: Path, writer: EventWriter, say, *, resume: bool, attempt: int = 1):
    """Prepare, load and wire a GRPOTrainer with the studio callback and capturing reward wrappers."""
    from rl_studio.engine.callback import StudioCallback
    from rl_studio.engine.loading import device_name, load, pick_engine, unsloth_env
    from rl_studio.rewards.capture import SampleCapture

    if pick_engine(cfg.model.engine, cfg.model) == "unsloth":
        unsloth_env(cfg)
        import unsloth  # noqa: F401 - Unsloth must be imported before trl and transformers to patch them
    prep = prepare(cfg, run_dir, status=say)
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    writer.emit(
        "run_started",
        config=cfg.to_dict(),
        engine=prep.engine,
        device=device_name(),
        versions=versions(),
        attempt=attempt,
        pid=os.getpid(),
        world_size=int(os.environ.get("WORLD_SIZE", "1")),
    )
    say("loading_model", f"loading {prep.model_path} with engine {prep.engine}")
    loaded = load(cfg, prep.model_path, prep.engine)
    from trl import GRPOTrainer

    from rl_studio.engine import cpu_ddp
    from rl_studio.engine.cpu_logprob import install_if_needed

    cpu_ddp.install_if_needed()
    if install_if_needed():
        writer.emit("status", phase="loading_model", message="Triton is missing: log-probs use plain torch", progress=None)
    for note in loaded.warnings or []:
        writer.emit("warning", message=note, where="model")
    capture = SampleCapture(prep.rewards)
    args = prep.grpo_args
    callback = StudioCallback.for_run(writer, run_dir, capture, args, cfg)
    from rl_studio.engine.generation import apply_generation_path

    generation = apply_generation_path(cfg, loaded, args, writer)
    server = os.environ.get("RL_STUDIO_VLLM_SERVER")  # set by rl_studio.distributed in server mode
    if server:
        args.use_vllm, args.vllm_mode, args.vllm_server_base_url = True, "server", server
        say("compiling", f"generation: trl vllm-serve at {server}")
    say("compiling", "building GRPOTrainer")
    trainer = GRPOTrainer(
        model=loaded.model,
        reward_funcs=[capture.wrap(r) for r in prep.rewards],
        args=args,
        train_dataset=prep.dataset,
        processing_class=loaded.tokenizer,
        peft_config=loaded.peft_config,
        callbacks=[callback],
    )
    generation.attach(trainer)  # the static-cache path replaces the trainer's generate
    resume_from = None
    if resume:
        resume_from = newest_checkpoint(run_dir)
        step = checkpoint_step(resume_from) if resume_from else 0
        if resume_from is None:
            writer.emit("warning", message="no complete checkpoint yet: starting from step 0", where="resume")
        superseded = sorted(s for s in read_history(run_dir).steps if s > step)
        writer.emit("run_resumed", from_step=step, checkpoint=str(resume_from or ""), superseded_steps=superseded)
    say("generating", "first generation (the first step includes warm-up)")
    return callback, trainer, resume_from


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    resume = "--resume" in argv
    paths = [a for a in argv if not a.startswith("--")]
    if len(paths) != 1:
        print("usage: python -m rl_studio.engine RUN_DIR [--resume]", file=sys.stderr)
        return 2
    t0 = time.time()
    code = run_engine(Path(paths[0]), resume=resume)
    print(f"engine exited with {code} after {time.time() - t0:.1f}s", file=sys.stderr)
    return code

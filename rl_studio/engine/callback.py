"""The studio's TrainerCallback: steps, samples and checkpoints to the event stream; control commands in (UI-free core).

Order within a Trainer step: on_step_end (control commands act here), then on_log (step and samples
events), then on_save (checkpoint event). Only the main process writes.
"""

from __future__ import annotations

import signal
import time
from collections import deque
from pathlib import Path
from typing import Any

from transformers import TrainerCallback

from rl_studio import control as control_files
from rl_studio.events import EventWriter
from rl_studio.rewards.capture import SampleCapture, build_samples
from rl_studio.rundir import COMPLETE_MARKER

SKIP_LOG_KEYS = {"epoch", "total_flos", "train_runtime", "train_samples_per_second", "train_steps_per_second"}


def _same_on_every_rank(commands: list[str]) -> list[str]:
    """The main process reads the control files; every rank must act on the same commands, or they deadlock."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
        box = [commands]
        dist.broadcast_object_list(box, src=0)
        return box[0]
    return commands


class StudioCallback(TrainerCallback):
    def __init__(
        self,
        writer: EventWriter | None,
        run_dir: Path,
        capture: SampleCapture | None,
        *,
        num_generations: int,
        scale_rewards: str,
        samples_per_step: int,
        is_main: bool = True,
    ):
        self.writer = writer if is_main else None
        self.run_dir = run_dir
        self.capture = capture
        self.num_generations = num_generations
        self.scale_rewards = scale_rewards
        self.samples_per_step = samples_per_step
        self.is_main = is_main
        self.stopped_by_user = False
        self._stop_requested = False
        self._t_last: float | None = None
        self._t0 = time.time()
        self._step_times: deque[float] = deque(maxlen=20)
        self._last_logged_step = -1

    @classmethod
    def for_run(cls, writer, run_dir: Path, capture: SampleCapture | None, args, cfg) -> StudioCallback:
        """The callback as the engine builds it for a run's GRPOConfig and run config."""
        import os

        return cls(
            writer,
            run_dir,
            capture,
            num_generations=int(args.num_generations),
            scale_rewards=str(args.scale_rewards),
            samples_per_step=cfg.run.samples_per_step,
            is_main=int(os.environ.get("RANK", "0")) == 0,
        )

    # ---- signals ----------------------------------------------------------------------------
    def install_signal_handlers(self) -> None:
        """SIGTERM / SIGINT / SIGHUP: stop and save at the next step boundary (a second one kills)."""

        def handler(signum: int, frame: Any) -> None:
            if self._stop_requested:
                signal.signal(signum, signal.SIG_DFL)
                raise KeyboardInterrupt
            self._stop_requested = True

        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, handler)
        signal.signal(signal.SIGHUP, signal.SIG_IGN)  # a closed terminal never ends the run

    def _emit(self, etype: str, **fields: Any) -> None:
        if self.writer is not None:
            self.writer.emit(etype, **fields)

    # ---- Trainer hooks ----------------------------------------------------------------------
    def on_train_begin(self, args, state, control, **kwargs):
        self._t_last = time.time()
        self._emit("status", phase="training", message=f"training from step {state.global_step}", progress=None)

    def on_step_end(self, args, state, control, **kwargs):
        now = time.time()
        if self._t_last is not None:
            self._step_times.append(now - self._t_last)
        self._t_last = now
        commands = control_files.take(self.run_dir) if self.is_main else []
        if self._stop_requested and not self.stopped_by_user:
            commands.append("stop")  # SIGTERM / SIGINT: stop and save, like the stop command
        for command in _same_on_every_rank(commands):
            self._act(command, state, control)
        return control

    def on_log(self, args, state, control, logs=None, **kwargs):
        if not self.is_main or logs is None or "loss" not in logs and "reward" not in logs:
            return
        step = int(state.global_step)
        if step == self._last_logged_step:
            return
        self._last_logged_step = step
        metrics = {k: v for k, v in logs.items() if k not in SKIP_LOG_KEYS and isinstance(v, int | float)}
        tokens = self.capture.take_tokens() if self.capture else 0
        last_dt = self._step_times[-1] if self._step_times else None
        avg_dt = sum(self._step_times) / len(self._step_times) if self._step_times else None
        max_steps = int(state.max_steps or 0)
        self._emit(
            "step",
            step=step,
            max_steps=max_steps,
            metrics=metrics,
            elapsed=round(time.time() - self._t0, 3),
            step_time=last_dt,
            completion_tokens=tokens,
            tokens_per_s=(tokens / last_dt) if last_dt and tokens else None,
            eta_s=(avg_dt * max(0, max_steps - step)) if avg_dt else None,
        )
        self.emit_samples(step)

    def emit_samples(self, step: int) -> None:
        if not self.capture:
            return
        batches = self.capture.drain()
        if not batches:
            return
        samples = build_samples(
            batches[-1],
            self.capture.names,
            self.capture.weights,
            self.num_generations,
            self.scale_rewards,
            self.samples_per_step,
        )
        self._emit("samples", step=step, reward_names=list(self.capture.names), samples=samples)

    def on_save(self, args, state, control, **kwargs):
        ckpt = Path(args.output_dir) / f"checkpoint-{state.global_step}"
        if self.is_main and ckpt.is_dir():
            (ckpt / COMPLETE_MARKER).write_text(str(time.time()))
            self._emit("checkpoint", step=int(state.global_step), path=str(ckpt))

    # ---- control ----------------------------------------------------------------------------
    def _commands(self) -> list[str]:
        return control_files.take(self.run_dir) if self.is_main else []

    def _stop(self, control) -> None:
        self.stopped_by_user = True
        control.should_save = True
        control.should_training_stop = True

    def _act(self, command: str, state, control) -> None:
        if command == "stop":
            self._emit("control", command="stop", state="done")
            self._stop(control)
        elif command == "save":
            control.should_save = True
            self._emit("control", command="save", state="done")
        elif command == "pause":
            self._pause(state, control)

    def _pause(self, state, control) -> None:
        self._emit("control", command="pause", state="done")
        self._emit("status", phase="training", message=f"paused at step {state.global_step}", progress=None)
        while True:
            time.sleep(0.25)
            if self._stop_requested:
                self._emit("control", command="resume", state="done")
                return
            for command in self._commands():
                if command == "resume":
                    self._emit("control", command="resume", state="done")
                    self._emit("status", phase="training", message="resumed", progress=None)
                    self._t_last = time.time()
                    return
                if command == "stop":
                    self._emit("control", command="resume", state="done")
                    self._act("stop", state, control)
                    return
                if command == "save":
                    control.should_save = True
                    self._emit("control", command="save", state="queued")

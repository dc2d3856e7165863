"""Synthetic but schema-valid event streams: the recorded fixture, live streams for tests and the bench."""

from __future__ import annotations

import json
import math
import random
from pathlib import Path
from typing import Any

REWARDS = ("correctness", "think_format")
T0 = 1_764_000_000.0  # a fixed clock so snapshots do not move

CONFIG = {
    "model": {"name": "builtin:smollm2-135m-instruct", "engine": "trl", "max_seq_length": 1024},
    "lora": {"r": 16, "alpha": 16},
    "dataset": {"source": "builtin:arithmetic", "prompt_column": "question", "answer_column": "answer"},
    "rewards": [{"name": "correctness", "weight": 1.0}, {"name": "think_format", "weight": 0.5}],
    "grpo": {"num_generations": 4, "max_completion_length": 256, "learning_rate": 5e-6, "max_steps": 60},
    "run": {"name": "smollm2-arith", "output_dir": "runs"},
}


def metrics_at(step: int, max_steps: int, rng: random.Random) -> dict[str, float]:
    p = step / max(1, max_steps)
    corr = min(1.0, max(0.0, 0.1 + 0.7 / (1 + math.exp(-10 * (p - 0.5))) + rng.gauss(0, 0.05)))
    fmt = min(1.0, max(0.0, 0.3 + 0.6 * p + rng.gauss(0, 0.05)))
    return {
        "reward": corr + 0.5 * fmt,
        "reward_std": 0.35 - 0.15 * p + rng.gauss(0, 0.02),
        "rewards/correctness/mean": corr,
        "rewards/correctness/std": 0.4,
        "rewards/think_format/mean": fmt,
        "rewards/think_format/std": 0.3,
        "kl": 0.002 + 0.04 * p + abs(rng.gauss(0, 0.003)),
        "entropy": 0.9 - 0.3 * p + rng.gauss(0, 0.02),
        "completions/mean_length": 90 + 40 * p + rng.gauss(0, 4),
        "completions/clipped_ratio": max(0.0, 0.05 + rng.gauss(0, 0.02)),
        "frac_reward_zero_std": max(0.0, 0.35 - 0.2 * p + rng.gauss(0, 0.03)),
        "num_tokens": float(step * 4096),
        "loss": rng.gauss(0, 0.01),
        "learning_rate": 5e-6,
        "grad_norm": abs(rng.gauss(0.5, 0.1)),
    }


def samples_for(step: int, rng: random.Random, n: int = 8) -> list[dict[str, Any]]:
    out = []
    for i in range(n):
        a, b = rng.randint(2, 60), rng.randint(2, 60)
        right = rng.random() < 0.3 + step / 100
        answer = a + b if right else a + b + rng.randint(1, 9)
        scores = {"correctness": 1.0 if right else 0.0, "think_format": rng.choice([0.0, 1.0])}
        total = scores["correctness"] + 0.5 * scores["think_format"]
        out.append({
            "group": i // 4,
            "prompt": f"Tom has {a} apples and buys {b} more. How many apples does he have?",
            "completion": f"<think>{a} plus {b} is {answer}.</think>\nThe answer is \\boxed{{{answer}}}.",
            "rewards": scores,
            "total": total,
            "advantage": 0.0,
        })
    for g in {s["group"] for s in out}:
        grp = [s for s in out if s["group"] == g]
        mean = sum(s["total"] for s in grp) / len(grp)
        for s in grp:
            s["advantage"] = round(s["total"] - mean, 4)
    return out


class Clock:
    """Writes events with a fixed clock and sequence numbers."""

    def __init__(self, path: Path, t0: float = T0):
        self.fh = open(path, "a", encoding="utf-8")  # noqa: SIM115
        self.t = t0
        self.seq = 0

    def emit(self, etype: str, dt: float = 0.0, **fields: Any) -> dict[str, Any]:
        self.t += dt
        self.seq += 1
        event = {"type": etype, "time": self.t, "seq": self.seq, **fields}
        self.fh.write(json.dumps(event) + "\n")
        self.fh.flush()
        return event

    def close(self) -> None:
        self.fh.close()


def step_event(step: int, max_steps: int, rng: random.Random, step_s: float = 2.0) -> dict[str, Any]:
    return {"step": step, "max_steps": max_steps, "metrics": metrics_at(step, max_steps, rng),
            "elapsed": step * step_s, "tokens_per_s": 2048.0, "eta_s": (max_steps - step) * step_s}


def write_run(run_dir: Path, steps: int = 60, max_steps: int = 60, finished: bool = True,
              samples_every: int = 1, seed: int = 0) -> Path:
    """A whole run's events.jsonl (and config.toml) in run_dir."""
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "config.toml").write_text('[run]\nname = "smollm2-arith"\n')
    rng = random.Random(seed)
    w = Clock(run_dir / "events.jsonl")
    cfg = json.loads(json.dumps(CONFIG))
    cfg["grpo"]["max_steps"] = max_steps
    w.emit("run_started", config=cfg, engine="trl", device="cpu", versions={"trl": "1.15.0"}, attempt=1)
    w.emit("status", 1.0, phase="loading_model", message="loading builtin:smollm2-135m-instruct", progress=None)
    w.emit("gpu", 0.5, gpus=[{"index": 0, "name": "NVIDIA H100 80GB HBM3", "mem_used_mib": 20480,
                               "mem_total_mib": 81559, "util_pct": 87}])
    w.emit("status", 2.0, phase="training", message="training", progress=0.0)
    for step in range(1, steps + 1):
        w.emit("step", 2.0, **step_event(step, max_steps, rng))
        if samples_every and step % samples_every == 0:
            w.emit("samples", step=step, reward_names=list(REWARDS), samples=samples_for(step, rng))
        if step == 20:
            w.emit("warning", message="reward think_format returned None for 2 completions", where="rewards")
        if step % 25 == 0:
            w.emit("checkpoint", 0.5, step=step, path=f"runs/smollm2-arith/checkpoints/checkpoint-{step}")
    if finished:
        w.emit("status", 1.0, phase="saving", message="saving the final adapter", progress=None)
        w.emit("run_finished", 1.0, outcome="completed", error=None, where=None, user_error=False)
    w.close()
    return run_dir / "events.jsonl"


if __name__ == "__main__":  # regenerate the committed fixture
    import shutil
    import sys

    out = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).parents[1] / "data" / "run-arith")
    shutil.rmtree(out, ignore_errors=True)
    print(write_run(out))

"""Reward wrappers that capture completions for the event stream, leaving every value unchanged (UI-free core).

GRPOTrainer never hands completions to callbacks, so each reward function is wrapped: the wrapper
calls it, checks its output (count, NaN) and keeps references to the batch's prompts, completions
and scores. The studio callback drains the captured batches at step boundaries. The wrapper does
no copying or formatting on the hot path; that happens once per step, for the kept groups only.
"""

from __future__ import annotations

import functools
import inspect
import math
import threading
from collections.abc import Callable
from typing import Any

from rl_studio.errors import StudioError
from rl_studio.rewards.builtin import completion_text
from rl_studio.rewards.resolve import Reward


class RewardError(StudioError):
    """A reward function broke TRL's contract (wrong count, NaN)."""


def _check(name: str, out: Any, n: int) -> list[Any]:
    if not isinstance(out, list | tuple):
        try:
            out = list(out)
        except TypeError:
            raise RewardError(
                f"reward {name!r} returned {type(out).__name__}; return a list with one float (or None) per completion"
            ) from None
    if len(out) != n:
        raise RewardError(
            f"reward {name!r} returned {len(out)} values for {n} completions; return one float (or None) per completion"
        )
    for i, v in enumerate(out):
        if v is None:
            continue
        try:
            f = float(v)
        except (TypeError, ValueError):
            raise RewardError(f"reward {name!r} returned {v!r} for completion {i}; return a float or None") from None
        if math.isnan(f):
            raise RewardError(
                f"reward {name!r} returned NaN for completion {i}; return None to leave a completion unscored"
            )
    return list(out)


class SampleCapture:
    """Collects, per generation batch, what the wrapped reward functions saw and returned."""

    def __init__(self, rewards: list[Reward]):
        self.names = [r.name for r in rewards]
        self.weights = [r.weight for r in rewards]
        self._lock = threading.Lock()
        self._batches: dict[int, dict[str, Any]] = {}
        self.completion_tokens = 0

    def _record(self, name: str, kwargs: dict[str, Any], out: list[Any]) -> None:
        completions = kwargs.get("completions")
        key = id(completions)
        with self._lock:
            batch = self._batches.get(key)
            if batch is None:
                ids = kwargs.get("completion_ids")
                if ids is not None:
                    self.completion_tokens += sum(len(x) for x in ids)
                batch = {"prompts": kwargs.get("prompts"), "completions": completions, "scores": {}}
                self._batches[key] = batch
            batch["scores"][name] = out

    def wrap(self, reward: Reward) -> Callable[..., Any]:
        from trl.trainer.utils import is_async_callable  # TRL's own test decides how it will call the wrapper

        func, name = reward.func, reward.name
        if is_async_callable(func):

            async def wrapped_async(**kwargs: Any) -> list[Any]:
                out = _check(name, await func(**kwargs), len(kwargs.get("completions") or []))
                self._record(name, kwargs, out)
                return out

            wrapped: Callable[..., Any] = wrapped_async
        else:

            def wrapped_sync(**kwargs: Any) -> list[Any]:
                out = _check(name, func(**kwargs), len(kwargs.get("completions") or []))
                self._record(name, kwargs, out)
                return out

            wrapped = wrapped_sync
        if inspect.isfunction(func):
            functools.update_wrapper(wrapped, func)
        wrapped.__name__ = name  # TRL names the metric rewards/<name>/mean after this
        wrapped.__qualname__ = name
        return wrapped

    def drain(self) -> list[dict[str, Any]]:
        """Complete batches (every reward scored) since the last drain."""
        with self._lock:
            done = [b for b in self._batches.values() if len(b["scores"]) == len(self.names)]
            self._batches = {k: b for k, b in self._batches.items() if len(b["scores"]) < len(self.names)}
        return done

    def take_tokens(self) -> int:
        with self._lock:
            n, self.completion_tokens = self.completion_tokens, 0
        return n


def _nanstd(values: list[float]) -> float:
    vals = [v for v in values if not math.isnan(v)]
    if len(vals) < 2:
        return 0.0
    mean = sum(vals) / len(vals)
    return math.sqrt(sum((v - mean) ** 2 for v in vals) / (len(vals) - 1))


def _nanmean(values: list[float]) -> float:
    vals = [v for v in values if not math.isnan(v)]
    return sum(vals) / len(vals) if vals else math.nan


def build_samples(
    batch: dict[str, Any], names: list[str], weights: list[float], num_generations: int, scale_rewards: str, keep: int
) -> list[dict[str, Any]]:
    """Samples for the event stream: whole groups, each completion with per-function scores, total and advantage.

    Total and advantage follow GRPOTrainer's sum_then_normalize: weighted nansum, group mean, and
    division by the group (or batch) std + 1e-4 unless scale_rewards is "none".
    """
    completions = batch["completions"]
    n = len(completions)
    rows = [[batch["scores"][name][i] for name in names] for i in range(n)]
    totals = []
    for row in rows:
        vals = [math.nan if v is None else float(v) for v in row]
        if all(math.isnan(v) for v in vals):
            totals.append(math.nan)
        else:
            totals.append(sum(w * v for w, v in zip(weights, vals, strict=True) if not math.isnan(v)))
    g = max(1, num_generations)
    batch_std = _nanstd(totals)
    groups = max(1, keep // g)
    out = []
    for start in range(0, min(n, groups * g), g):
        group = totals[start : start + g]
        mean, std = _nanmean(group), (_nanstd(group) if scale_rewards != "batch" else batch_std)
        for i in range(start, min(start + g, n)):
            t = totals[i]
            if math.isnan(t):
                adv = 0.0
            else:
                adv = t - mean
                if scale_rewards != "none":
                    adv = adv / (std + 1e-4)
            prompt = batch["prompts"][i] if batch["prompts"] is not None else ""
            if isinstance(prompt, list):
                users = [m.get("content", "") for m in prompt if m.get("role") == "user"]
                prompt = users[-1] if users else completion_text(prompt)
            out.append(
                {
                    "group": start // g,
                    "prompt": str(prompt),
                    "completion": completion_text(completions[i]),
                    "rewards": {name: rows[i][j] for j, name in enumerate(names)},
                    "total": t,
                    "advantage": adv,
                }
            )
    return out

"""Per-metric step series for the plots: append-only arrays, downsampled and smoothed on demand (UI-free)."""

from __future__ import annotations

import math
from array import array
from bisect import bisect_left, bisect_right

NAN = float("nan")
BLOCK = 64  # steps per pre-summed block; long histories downsample from block sums


class SeriesStore:
    """Every numeric metric of every step, aligned on one step axis (NaN where a step lacks it).

    Appending is O(1) and keeps per-block sums up to date; a resume truncates superseded steps;
    `downsample` turns 100,000 steps into a few hundred bucket means from the block sums, so a
    redraw costs about the same at step 1,000 and at step 100,000.
    """

    def __init__(self) -> None:
        self.steps: array = array("q")
        self.values: dict[str, array] = {}
        self.block_sum: dict[str, array] = {}
        self.block_count: dict[str, array] = {}
        self.version = 0
        self._cache: dict[tuple, tuple[list[float], list[float]]] = {}

    def __len__(self) -> int:
        return len(self.steps)

    def add(self, step: int, metrics: dict) -> None:
        """Record one step's metrics (a step seen again replaces the later history, as after a resume)."""
        if self.steps and step <= self.steps[-1]:
            self.truncate_after(step - 1)
        n = len(self.steps)
        self.steps.append(step)
        block, first_in_block = divmod(n, BLOCK)
        if first_in_block == 0:
            for key in self.values:
                self.block_sum[key].append(0.0)
                self.block_count[key].append(0)
        filled = 0
        for key, value in metrics.items():
            kind = value.__class__
            if kind is not float and kind is not int:  # bools, strings and None are not plotted
                continue
            if value != value:
                continue
            col = self.values.get(key)
            if col is None:
                col = self.values[key] = array("d", [NAN]) * n
                self.block_sum[key] = array("d", [0.0]) * (block + 1)
                self.block_count[key] = array("q", [0]) * (block + 1)
            col.append(value)
            self.block_sum[key][block] += value
            self.block_count[key][block] += 1
            filled += 1
        if filled != len(self.values):  # metrics this step lacks stay aligned as NaN
            for col in self.values.values():
                if len(col) == n:
                    col.append(NAN)
        self._touch()

    def truncate_after(self, step: int) -> None:
        """Drop steps greater than `step` (a resume supersedes them)."""
        cut = bisect_right(self.steps, step)
        if cut == len(self.steps):
            return
        del self.steps[cut:]
        for key, col in self.values.items():
            del col[cut:]
            sums, counts = array("d"), array("q")
            for start in range(0, len(col), BLOCK):
                finite = [v for v in col[start : start + BLOCK] if v == v]
                sums.append(math.fsum(finite))
                counts.append(len(finite))
            self.block_sum[key], self.block_count[key] = sums, counts
        self._touch()

    def _touch(self) -> None:
        self.version += 1
        self._cache.clear()

    def has(self, key: str) -> bool:
        col = self.values.get(key)
        return col is not None and any(v == v for v in col[-200:])

    def last(self, key: str, n: int = 1) -> list[float]:
        """The last n finite values of a metric, oldest first."""
        col = self.values.get(key)
        if col is None:
            return []
        out: list[float] = []
        i = len(col) - 1
        while i >= 0 and len(out) < n:
            if col[i] == col[i]:
                out.append(col[i])
            i -= 1
        return out[::-1]

    def first(self, key: str, n: int = 1) -> list[float]:
        col = self.values.get(key)
        if col is None:
            return []
        out = []
        for v in col:
            if v == v:
                out.append(v)
                if len(out) == n:
                    break
        return out

    def window(self, key: str, from_step: int) -> list[float]:
        col = self.values.get(key)
        if col is None:
            return []
        i = bisect_left(self.steps, from_step)
        return [v for v in col[i:] if v == v]

    def reward_names(self) -> list[str]:
        return [k[len("rewards/") : -len("/mean")] for k in self.values if k.startswith("rewards/") and k.endswith("/mean")]

    def downsample(self, key: str, buckets: int, smooth: bool = False) -> tuple[list[float], list[float]]:
        """(steps, values) with at most `buckets` points: each the mean of its bucket; NaNs skipped."""
        ck = (key, buckets, smooth)
        if ck in self._cache:
            return self._cache[ck]
        col = self.values.get(key)
        xs: list[float] = []
        ys: list[float] = []
        if col is not None and len(col):
            n = len(col)
            buckets = max(1, buckets)
            if n <= buckets:
                for s, v in zip(self.steps, col, strict=True):
                    if v == v:
                        xs.append(float(s))
                        ys.append(v)
            elif n >= 4 * BLOCK * buckets:
                xs, ys = self._from_blocks(key, buckets)
            else:
                size = n / buckets
                for b in range(buckets):
                    lo, hi = int(b * size), int((b + 1) * size)
                    chunk = [v for v in col[lo:hi] if v == v]
                    if chunk:
                        xs.append((self.steps[lo] + self.steps[hi - 1]) / 2)
                        ys.append(math.fsum(chunk) / len(chunk))
            if smooth:
                ys = ema(ys, max(2, len(ys) // 15))
        self._cache[ck] = (xs, ys)
        return xs, ys

    def _from_blocks(self, key: str, buckets: int) -> tuple[list[float], list[float]]:
        """Bucket means from the block sums: O(blocks), not O(steps)."""
        sums, counts = self.block_sum[key], self.block_count[key]
        nb = len(sums)
        xs: list[float] = []
        ys: list[float] = []
        last = len(self.steps) - 1
        for b in range(buckets):
            lo, hi = b * nb // buckets, (b + 1) * nb // buckets
            total, count = math.fsum(sums[lo:hi]), sum(counts[lo:hi])
            if count:
                xs.append((self.steps[lo * BLOCK] + self.steps[min(hi * BLOCK, last + 1) - 1]) / 2)
                ys.append(total / count)
        return xs, ys


def ema(values: list[float], span: int) -> list[float]:
    """Exponential moving average with the given span (TensorBoard-style smoothing)."""
    if not values:
        return []
    alpha = 2.0 / (span + 1)
    out = [values[0]]
    for v in values[1:]:
        out.append(out[-1] + alpha * (v - out[-1]))
    return out

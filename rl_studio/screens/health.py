"""The health line: known GRPO failure signs read from the metrics, said in words (UI-free)."""

from __future__ import annotations

from dataclasses import dataclass

from rl_studio.screens.series import SeriesStore

RECENT = 10  # steps averaged for "now"
FLAT_STEPS = 50  # reward unchanged this long counts as flat


@dataclass(frozen=True)
class Finding:
    level: str  # "warn" | "note" | "ok"
    text: str
    kind: str = ""  # which sign: zero_std, pinned, entropy, flat, loss0, trend

    def __str__(self) -> str:
        return f"{self.level.upper()}: {self.text}"


def _mean(xs: list[float]) -> float:
    return sum(xs) / len(xs)


def assess(store: SeriesStore, max_completion_length: int | None = None) -> list[Finding]:
    """Findings, warnings first. Empty until a few steps are in."""
    if len(store) < 3:
        return []
    out: list[Finding] = []
    zero_std = store.last("frac_reward_zero_std", RECENT)
    if zero_std and _mean(zero_std) >= 0.9:
        out.append(Finding("warn", kind="zero_std", text=f"no learning signal: {_mean(zero_std):.0%} of groups scored all-equal; "
                                   "use finer rewards or more generations"))
    clipped = store.last("completions/clipped_ratio", RECENT)
    lengths = store.last("completions/mean_length", RECENT)
    pinned = bool(clipped) and _mean(clipped) >= 0.5
    if not pinned and lengths and max_completion_length:
        pinned = _mean(lengths) >= 0.95 * max_completion_length
    if pinned:
        share = f"{_mean(clipped):.0%} clipped" if clipped else f"mean {_mean(lengths):.0f} tokens"
        out.append(Finding("warn", kind="pinned", text=f"lengths pinned at max ({share}); raise max_completion_length "
                                   "or add the overlong reward"))
    ent_now = store.last("entropy", RECENT)
    ent_start = store.first("entropy", RECENT)
    if len(store) >= 2 * RECENT and ent_now and ent_start and _mean(ent_start) > 0:
        now, start = _mean(ent_now), _mean(ent_start)
        if now < 0.25 * start or now < 0.02:
            out.append(Finding("warn", kind="entropy", text=f"entropy collapsing ({start:.2f} -> {now:.2f}); "
                                       "raise temperature or beta"))
    if len(store) >= FLAT_STEPS:
        recent = store.window("reward", store.steps[-1] - FLAT_STEPS + 1)
        if len(recent) >= FLAT_STEPS // 2:
            spread = max(recent) - min(recent)
            if spread <= 0.01 * max(1.0, abs(_mean(recent))):
                out.append(Finding("warn", kind="flat", text=f"reward flat {FLAT_STEPS} steps at {_mean(recent):.3f}; "
                                           "check rewards and learning rate"))
    loss = store.last("loss", RECENT)
    if loss and all(abs(v) < 1e-6 for v in loss):
        out.append(Finding("note", "loss near 0 is normal for GRPO", "loss0"))
    if not any(f.level == "warn" for f in out):
        reward_start, reward_now = store.first("reward", RECENT), store.last("reward", RECENT)
        if reward_start and reward_now and len(store) >= 2 * RECENT:
            delta = _mean(reward_now) - _mean(reward_start)
            trend = "rising" if delta > 0 else "not rising yet"
            out.insert(0, Finding("ok", kind="trend", text=f"reward {trend} ({_mean(reward_start):.3f} -> {_mean(reward_now):.3f})"))
        else:
            out.insert(0, Finding("ok", "no warning signs", "trend"))
    return out


def health_line(findings: list[Finding]) -> str:
    """One line: how many findings, then the first in full (the log lists them all)."""
    if not findings:
        return "waiting for steps"
    count = f" 1/{len(findings)}" if len(findings) > 1 else ""
    return f"{findings[0].level.upper()}{count}: {findings[0].text}"

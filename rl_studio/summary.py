"""The run summary: `summary.md` in the run directory, written at the end of a run (UI-free).

Final and best reward, steps, time, tokens, each reward function's final mean, checkpoints and
exports, and the main curves drawn as text charts. The engine and the studio both call
`write_summary(run_dir)`; it reads only events.jsonl.
"""

from __future__ import annotations

import datetime as _dt
from pathlib import Path

from rl_studio.events import RunHistory, read_history

SUMMARY_FILE = "summary.md"
BLOCKS = " ▁▂▃▄▅▆▇█"
CHARTS = (
    ("reward", "Total reward"),
    ("reward_std", "Reward std"),
    ("completions/mean_length", "Completion length (mean tokens)"),
    ("kl", "KL"),
    ("entropy", "Entropy"),
)


def text_chart(xs: list[int], ys: list[float], width: int = 60, height: int = 8) -> str:
    """A block chart of ys (bucket means when longer than width), with min/max and step labels."""
    if not ys:
        return "(no data)"
    n = len(ys)
    cols: list[float] = []
    for b in range(min(width, n)):
        lo, hi = b * n // min(width, n), (b + 1) * n // min(width, n)
        chunk = ys[lo:hi] or [ys[lo]]
        cols.append(sum(chunk) / len(chunk))
    lo_v, hi_v = min(cols), max(cols)
    span = (hi_v - lo_v) or 1.0
    levels = [round((v - lo_v) / span * (height * 8 - 1)) + 1 for v in cols]
    rows = []
    for r in range(height - 1, -1, -1):
        line = ""
        for lv in levels:
            fill = lv - r * 8
            line += BLOCKS[max(0, min(8, fill))]
        label = f"{hi_v:>10.4g} |" if r == height - 1 else f"{lo_v:>10.4g} |" if r == 0 else " " * 10 + " |"
        rows.append(label + line)
    rows.append(" " * 11 + "+" + "-" * len(levels))
    left, right = f"step {xs[0]}", f"step {xs[-1]}"
    rows.append(" " * 12 + left + " " * max(1, len(levels) - len(left) - len(right)) + right)
    return "\n".join(rows)


def _fmt_duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    seconds = int(seconds)
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"{h}h{m:02d}m{s:02d}s" if h else f"{m}m{s:02d}s"


def render_summary(history: RunHistory, run_name: str) -> str:
    """The Markdown text of the summary."""
    last = history.last_step
    started = history.started or {}
    cfg = started.get("config") or {}
    lines = [f"# Run summary: {run_name}", ""]
    outcome = (history.finished or {}).get("outcome", "running")
    rewards = history.series("reward")
    best = max(zip(rewards[1], rewards[0], strict=True), key=lambda t: t[0]) if rewards[1] else None
    metrics = (last or {}).get("metrics", {})
    rows = [
        ("Outcome", outcome),
        ("Model", (cfg.get("model") or {}).get("name", "-")),
        ("Engine", started.get("engine", "-")),
        ("Steps", f"{last['step']} / {last['max_steps']}" if last else "0"),
        ("Time", _fmt_duration(last.get("elapsed") if last else None)),
        ("Tokens", f"{int(metrics['num_tokens']):,}" if isinstance(metrics.get("num_tokens"), int | float) else "-"),
        ("Final reward", f"{metrics['reward']:.4f}" if isinstance(metrics.get("reward"), int | float) else "-"),
        ("Best reward", f"{best[0]:.4f} at step {best[1]}" if best else "-"),
    ]
    for name in history.reward_names():
        v = metrics.get(f"rewards/{name}/mean")
        if isinstance(v, int | float):
            rows.append((f"Final {name}", f"{v:.4f}"))
    if history.finished and history.finished.get("error"):
        rows.append(("Error", str(history.finished["error"]).splitlines()[0]))
    lines += ["| | |", "|---|---|"] + [f"| {k} | {v} |" for k, v in rows] + [""]
    for key, title in CHARTS:
        xs, ys = history.series(key)
        if ys:
            lines += [f"## {title}", "", "```", text_chart(xs, ys), "```", ""]
    if history.checkpoints:
        lines += ["## Checkpoints", ""] + [f"- step {c['step']}: `{c['path']}`" for c in history.checkpoints] + [""]
    done = [e for e in history.exports if e.get("state") == "done"]
    if done:
        lines += ["## Exports", ""] + [f"- {e['kind']}: `{e.get('path')}`" for e in done] + [""]
    stamp = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines.append(f"_Written by rl-studio, {stamp}._")
    return "\n".join(lines) + "\n"


def write_summary(run_dir: str | Path, history: RunHistory | None = None) -> Path:
    """Write RUN_DIR/summary.md atomically and return its path."""
    run_dir = Path(run_dir)
    history = history or read_history(run_dir)
    name = ((history.started or {}).get("config") or {}).get("run", {}).get("name") or run_dir.name
    path = run_dir / SUMMARY_FILE
    tmp = path.with_name(f".{SUMMARY_FILE}.tmp")
    tmp.write_text(render_summary(history, name))
    tmp.replace(path)
    return path

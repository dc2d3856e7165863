"""Words for the dashboard: the header, log lines and sample rows as plain text (UI-free)."""

from __future__ import annotations

from typing import Any

from rl_studio.screens.run_model import RunModel


def duration(seconds: float | None) -> str:
    if seconds is None or seconds != seconds or seconds < 0:
        return "-"
    s = int(seconds)
    h, rem = divmod(s, 3600)
    m, s = divmod(rem, 60)
    return f"{h}h{m:02d}m" if h else f"{m}m{s:02d}s"


def bar(fraction: float, width: int = 10) -> str:
    fraction = min(1.0, max(0.0, fraction))
    full = round(fraction * width)
    return "[" + "#" * full + "-" * (width - full) + "]"


def gpu_text(gpus: list[dict[str, Any]]) -> str:
    if not gpus:
        return "GPU: none reported"
    parts = []
    for g in gpus[:2]:
        name = str(g.get("name", "GPU")).replace("NVIDIA ", "").split(" ")[0]
        used, total = g.get("mem_used_mib") or 0, g.get("mem_total_mib") or 0
        parts.append(f"GPU{g.get('index', 0)} {name} {used / 1024:.1f}/{total / 1024:.0f}GiB {g.get('util_pct', 0)}%")
    more = f" +{len(gpus) - 2}" if len(gpus) > 2 else ""
    return ", ".join(parts) + more


def header_text(model: RunModel) -> tuple[str, str]:
    """Two lines: who/what/state, then progress and speed."""
    h = model.history
    engine = (h.started or {}).get("engine", "?")
    state = model.state.upper()
    phase = (h.status or {}).get("phase")
    if phase and model.state == "running" and phase != "training":
        state += f" ({phase.replace('_', ' ')})"
    line1 = f"{model.name}  engine {engine}  {state}  {gpu_text((h.gpu or {}).get('gpus') or [])}"
    last = h.last_step
    if not last:
        msg = (h.status or {}).get("message") or "waiting for the first step"
        return line1, f"step 0  {msg}"
    step, max_steps = int(last["step"]), int(last.get("max_steps") or 0)
    frac = step / max_steps if max_steps else 0.0
    tps = last.get("tokens_per_s")
    speed = f"{tps:,.0f} tok/s" if isinstance(tps, int | float) else "- tok/s"
    eta = "done" if h.finished else f"ETA {duration(last.get('eta_s'))}"
    line2 = (f"step {step}/{max_steps} {bar(frac)} {frac:.0%}  {eta}  elapsed {duration(last.get('elapsed'))}"
             f"  {speed}")
    return line1, line2


LEVELS = {"warning": "WARN", "run_finished": "END", "checkpoint": "CKPT", "control": "CTRL", "export": "EXPORT",
          "run_resumed": "RESUME", "run_started": "START", "status": "INFO"}


def log_line(event: dict[str, Any], t0: float) -> str:
    """One log line: time since the run started, a level word, the message."""
    t = event.get("type", "")
    when = f"+{duration(float(event.get('time', t0)) - t0)}"
    if t == "status":
        msg = f"{event.get('phase', '')}: {event.get('message', '')}"
    elif t == "warning":
        msg = f"{event.get('where', '')}: {event.get('message', '')}"
    elif t == "checkpoint":
        msg = f"saved step {event.get('step')} to {event.get('path')}"
    elif t == "control":
        msg = f"{event.get('command')} {event.get('state')}"
    elif t == "export":
        msg = f"{event.get('kind')} {event.get('state')} {event.get('path') or ''} {event.get('message') or ''}".strip()
    elif t == "run_resumed":
        msg = f"resumed from step {event.get('from_step')} ({event.get('checkpoint')})"
    elif t == "run_started":
        msg = f"run started on {event.get('device')} with {event.get('engine')} (attempt {event.get('attempt', 1)})"
    elif t == "run_finished":
        err = event.get("error")
        msg = f"run {event.get('outcome')}" + (f": {err} [{event.get('where')}]" if err else "")
    else:
        msg = str(event)
    return f"{when:>8} {LEVELS.get(t, t.upper()):<6} {msg}"


CONTROL = {c: "\ufffd" for c in [*range(0, 9), 11, 12, *range(14, 32), 127]}


def printable(text: object) -> str:
    """Model output as it may be shown: control characters (a raw NUL, ESC…) become �."""
    return str(text).translate(CONTROL)


def one_line(text: str, width: int) -> str:
    flat = " ".join(printable(text).split())
    return flat if len(flat) <= width else flat[: max(0, width - 1)] + "…"


def sorted_samples(samples: list[dict[str, Any]], order: str) -> list[dict[str, Any]]:
    """best: highest total first; worst: lowest first; group: as generated."""
    if order == "best":
        return sorted(samples, key=lambda s: -(s.get("total") or 0.0))
    if order == "worst":
        return sorted(samples, key=lambda s: s.get("total") or 0.0)
    return list(samples)


def score(value: Any) -> str:
    return "n/a" if value is None else f"{value:+.2f}" if isinstance(value, int | float) else str(value)

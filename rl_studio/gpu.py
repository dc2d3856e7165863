"""GPU statistics through nvidia-ml-py (UI-free core); an empty list where there is no NVIDIA GPU."""

from __future__ import annotations

from typing import Any

_initialized: bool | None = None


def _init() -> bool:
    global _initialized
    if _initialized is None:
        try:
            import pynvml

            pynvml.nvmlInit()
            _initialized = True
        except Exception:  # noqa: BLE001 - no driver, no library, no GPU: all mean "none"
            _initialized = False
    return _initialized


def snapshot() -> list[dict[str, Any]]:
    """One dict per GPU: index, name, mem_used_mib, mem_total_mib, util_pct."""
    if not _init():
        return []
    import pynvml

    out = []
    try:
        for i in range(pynvml.nvmlDeviceGetCount()):
            h = pynvml.nvmlDeviceGetHandleByIndex(i)
            mem = pynvml.nvmlDeviceGetMemoryInfo(h)
            try:
                util = pynvml.nvmlDeviceGetUtilizationRates(h).gpu
            except pynvml.NVMLError:
                util = None
            name = pynvml.nvmlDeviceGetName(h)
            out.append(
                {
                    "index": i,
                    "name": name.decode() if isinstance(name, bytes) else str(name),
                    "mem_used_mib": round(mem.used / 2**20),
                    "mem_total_mib": round(mem.total / 2**20),
                    "util_pct": util,
                }
            )
    except Exception:  # noqa: BLE001
        return out
    return out

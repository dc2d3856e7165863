"""Resume of multi-process CPU runs (gloo): map checkpoint tensors to plain "cpu" (UI-free core).

With several CPU processes, transformers' Trainer loads the optimizer state with
`map_location=args.device`, a `cpu:N` device that torch.load cannot restore to ("don't know how
to restore data location"). Only then, torch.load is given "cpu" instead; GPU runs are untouched.
"""

from __future__ import annotations

import functools
import os


def install_if_needed() -> bool:
    import torch

    if torch.cuda.is_available() or int(os.environ.get("WORLD_SIZE", "1")) < 2:
        return False
    original = torch.load
    if getattr(original, "_rl_studio_cpu_fix", False):
        return True

    @functools.wraps(original)
    def load(*args, map_location=None, **kwargs):
        if isinstance(map_location, torch.device | str) and str(map_location).startswith("cpu"):
            map_location = "cpu"
        return original(*args, map_location=map_location, **kwargs)

    load._rl_studio_cpu_fix = True  # type: ignore[attr-defined]
    torch.load = load
    return True

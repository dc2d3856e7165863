"""Where rl-studio keeps its user cache: $RL_STUDIO_CACHE, else $XDG_CACHE_HOME/rl-studio (UI-free core)."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    root = os.environ.get("RL_STUDIO_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "rl-studio"
    )
    return Path(root)

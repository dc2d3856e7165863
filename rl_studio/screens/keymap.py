"""The user keymap: a TOML file mapping binding ids to keys (posting-style).

Read from $RL_STUDIO_KEYMAP or ~/.config/rl-studio/keymap.toml, either flat or under [keymap]:

    "dashboard.pause" = "ctrl+p"
    "dashboard.stop" = "X"
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from rl_studio.errors import StudioError


def keymap_path() -> Path:
    env = os.environ.get("RL_STUDIO_KEYMAP")
    if env:
        return Path(env).expanduser()
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "rl-studio" / "keymap.toml"


def load_keymap(path: Path | None = None) -> dict[str, str]:
    """Binding id -> key string; {} when there is no file. Raises StudioError on a bad file."""
    path = path or keymap_path()
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise StudioError(f"keymap {path} is not valid TOML ({e}); fix or remove it") from None
    table = data.get("keymap", data)
    if not isinstance(table, dict):
        raise StudioError(f"keymap {path}: [keymap] must be a table of binding id = \"key\"")
    bad = [k for k, v in table.items() if not isinstance(v, str)]
    if bad:
        raise StudioError(f"keymap {path}: {bad[0]} must map to a key string such as \"ctrl+p\"")
    return dict(table)

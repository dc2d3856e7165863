"""List the functions in a reward file with ast: nothing is imported or run (UI-free core)."""

from __future__ import annotations

import ast
from pathlib import Path

from rl_studio.errors import StudioError


def reward_functions_in(path: str | Path) -> list[str]:
    """Top-level public function names in a Python file."""
    path = Path(path)
    try:
        tree = ast.parse(path.read_text(), filename=str(path))
    except FileNotFoundError:
        raise StudioError(f"reward file {path} not found") from None
    except SyntaxError as e:
        raise StudioError(f"reward file {path} has a syntax error at line {e.lineno}: {e.msg}") from None
    return [
        n.name
        for n in tree.body
        if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and not n.name.startswith("_")
    ]

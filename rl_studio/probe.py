"""Questions the app asks of the heavy stack, answered in a child process (UI-free core).

The Textual app must never import torch, trl or transformers (its first frame would wait 30 s), so
each question here runs `python -m rl_studio.probe QUESTION` with JSON in and JSON out. Results
that cannot change (GRPOConfig's fields for one trl version) are cached on disk. The child side is
`rl_studio.probe_child`; nothing here imports it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from rl_studio.config import RunConfig
from rl_studio.errors import StudioError
from rl_studio.rewards.listing import reward_functions_in  # noqa: F401 - pure ast, re-exported for the app

TIMEOUT = 300


def _ask(question: str, payload: dict[str, Any], timeout: float = TIMEOUT) -> Any:
    env = dict(os.environ, TOKENIZERS_PARALLELISM="false", HF_DATASETS_DISABLE_PROGRESS_BARS="1")
    root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "rl_studio.probe_child", question],
            input=json.dumps(payload),
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
        )
    except subprocess.TimeoutExpired:
        raise StudioError(f"{question} took longer than {timeout:.0f}s") from None
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if not lines:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise StudioError(f"{question} failed: {tail[:300]}")
    answer = json.loads(lines[-1])
    if "error" in answer:
        raise StudioError(answer["error"])
    return answer["result"]


def _cfg_payload(cfg: RunConfig) -> dict[str, Any]:
    return {"config": cfg.to_dict(), "base_dir": str(cfg.base_dir)}


def _cache_file(name: str) -> Path:
    from rl_studio.cache import cache_dir

    return cache_dir() / "probe" / name


def grpo_fields() -> list[dict[str, Any]]:
    """GRPOConfig's own fields and help text (cached per trl version)."""
    try:
        from importlib.metadata import version

        trl_version = version("trl")
    except Exception:  # noqa: BLE001
        trl_version = "unknown"
    cache = _cache_file(f"grpo-fields-{trl_version}.json")
    if cache.is_file():
        return json.loads(cache.read_text())
    fields = _ask("grpo_fields", {})
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps(fields))
    return fields


def preview_dataset(cfg: RunConfig, n: int = 3) -> dict[str, Any]:
    """First rows, columns, and the first prompt as the model will see it, with its token count."""
    return _ask("preview_dataset", {**_cfg_payload(cfg), "n": n})


def try_rewards(cfg: RunConfig, completions: list[str], row: int = 0) -> dict[str, Any]:
    """Score typed-in completions with the chosen reward functions against dataset row `row`."""
    return _ask("try_rewards", {**_cfg_payload(cfg), "completions": completions, "row": row})


def generate_and_score(cfg: RunConfig, n: int = 4, row: int = 0) -> dict[str, Any]:
    """Sample n completions from the model for dataset row `row` and score them: completions, names, scores."""
    return _ask("generate", {**_cfg_payload(cfg), "n": n, "row": row}, timeout=600)


def model_info(cfg: RunConfig) -> dict[str, Any]:
    """Parameter counts and a GPU memory estimate, from the model's config.json (no weights loaded)."""
    return _ask("model_info", _cfg_payload(cfg))


def preflight(cfg: RunConfig) -> None:
    """Every input check `rl-studio train` makes before it starts."""
    _ask("preflight", _cfg_payload(cfg), timeout=600)


def cached_models(output_dir: Path | None = None) -> list[str]:
    """Models in the local Hugging Face cache and those used by recent runs (no heavy import)."""
    from rl_studio.config import BUILTIN_MODEL

    names = [BUILTIN_MODEL]
    try:
        from huggingface_hub import scan_cache_dir

        for repo in scan_cache_dir().repos:
            if repo.repo_type == "model" and repo.repo_id not in names:
                names.append(repo.repo_id)
    except Exception:  # noqa: BLE001 - no cache yet
        pass
    if output_dir is not None:
        from rl_studio.rundir import list_runs

        for run in list_runs(output_dir)[:20]:
            name = ((run.history.started or {}).get("config") or {}).get("model", {}).get("name")
            if name and name not in names:
                names.append(name)
    return names

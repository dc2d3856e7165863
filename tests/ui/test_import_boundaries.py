"""House rules both ways: the screens never load torch & co.; the core never loads textual or questionary."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import tomli_w

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent


def test_app_process_never_loads_the_training_stack(recorded_run, tmp_path):
    result = subprocess.run([sys.executable, str(HERE / "app_imports_probe.py"), str(recorded_run), str(tmp_path)],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert "ReviewStep" in report["screens"] or "TrainingStep" in report["screens"]
    assert report["screens"][-1] == "ExportScreen", "the drive reached the export screen"
    assert report["heavy"] == []


def test_core_modules_never_load_a_ui_library():
    core = ["rl_studio.config", "rl_studio.events", "rl_studio.control", "rl_studio.rundir", "rl_studio.summary",
            "rl_studio.errors", "rl_studio.launch", "rl_studio.probe", "rl_studio.gpu"]
    code = ("import importlib, json, sys\n"
            f"for m in {core!r}:\n    importlib.import_module(m)\n"
            "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('textual', 'questionary', 'textual_plotext'))))")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout) == []


def test_import_linter_contracts_hold(tmp_path):
    """pyproject's contracts, statically, indirect imports included (lint-imports needs external packages on)."""
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert lint, "import-linter is a test dependency"
    settings = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    settings["include_external_packages"] = True
    config = tmp_path / "importlinter.toml"
    config.write_text(tomli_w.dumps({"tool": {"importlinter": settings}}))
    result = subprocess.run([lint, str(config), "--no-cache"], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert "The screens never import" in result.stdout
    assert result.returncode == 0, result.stdout[-4000:]

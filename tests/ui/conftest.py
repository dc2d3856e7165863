"""Fixtures for the studio's UI tests: a copy of the recorded run, fake services, a fake live engine."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

RECORDED = ROOT / "tests" / "data" / "run-arith"


@pytest.fixture(autouse=True)
def _no_user_keymap(monkeypatch, tmp_path):
    """Tests never read the developer's own keymap."""
    monkeypatch.setenv("RL_STUDIO_KEYMAP", str(tmp_path / "no-keymap.toml"))


@pytest.fixture
def recorded_run(tmp_path) -> Path:
    """A finished run: the committed events.jsonl in a fresh directory."""
    dest = tmp_path / "runs" / "smollm2-arith"
    shutil.copytree(RECORDED, dest)
    return dest


@pytest.fixture
def live_engine(tmp_path):
    """Make a run dir look alive: a sleeping process whose command line names rl_studio writes engine.pid."""
    procs = []

    def start(run_dir: Path) -> subprocess.Popen:
        proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)", "rl_studio.engine"])
        (run_dir / "engine.pid").write_text(str(proc.pid))
        procs.append(proc)
        return proc

    yield start
    for p in procs:
        p.kill()
        p.wait()


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem):
    """Run `async def` tests with asyncio.run (no async plugin is needed)."""
    import asyncio
    import inspect

    if inspect.iscoroutinefunction(pyfuncitem.obj):
        kwargs = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}
        asyncio.run(pyfuncitem.obj(**kwargs))
        return True
    return None

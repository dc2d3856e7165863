"""Run in a subprocess by test_import_boundaries: drive the real app headless, then list heavy modules loaded.

The real Services are used (so the real import chain of probe/launch/gpu is exercised); only the probe's
subprocess call is stubbed so no model or dataset is loaded.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

HEAVY = ("torch", "trl", "transformers", "unsloth", "peft", "vllm")


async def drive(run_dir: Path, out_dir: Path) -> None:
    from rl_studio import probe
    from rl_studio.errors import StudioError
    from rl_studio.screens.app import StudioApp
    from rl_studio.screens.dashboard import DashboardScreen
    from rl_studio.screens.wizard import first_step

    def no_subprocess(*args, **kwargs):
        raise StudioError("stubbed in the import test")

    probe._ask = no_subprocess
    app = StudioApp(lambda: first_step(out_dir), keymap={})
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(4):
            await pilot.pause(0.3)
            await pilot.press("ctrl+n")
        await pilot.press("ctrl+o")
        await pilot.pause(0.3)
        await pilot.press("escape", "ctrl+n")
        await pilot.pause(0.3)
        app.push_screen(DashboardScreen(run_dir))
        await pilot.pause(1.0)
        await pilot.press("2", "3", "1", "e")
        await pilot.pause(0.5)
        screens = [type(s).__name__ for s in app.screen_stack]
    heavy = sorted(m for m in sys.modules if m.split(".")[0] in HEAVY)
    print(json.dumps({"heavy": heavy, "screens": screens}))
    sys.stdout.flush()
    os._exit(0)  # probe threads may still be waiting; nothing to clean up


if __name__ == "__main__":
    asyncio.run(drive(Path(sys.argv[1]), Path(sys.argv[2])))

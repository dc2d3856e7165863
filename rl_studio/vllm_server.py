"""Server mode: `trl vllm-serve` on its own GPUs, the training launch pointed at it (UI-free core).

`python -m rl_studio.vllm_server RUN_DIR [--resume]` starts the server on the GPUs after the
training ones, waits for its health check, runs `accelerate launch` with RL_STUDIO_VLLM_SERVER set
(the engine then sets use_vllm / vllm_mode="server"), and stops the server at the end.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from rl_studio.config import load as load_config
from rl_studio.distributed import MULTICAST_OFF, SERVER_PORT, training_command
from rl_studio.errors import StudioError
from rl_studio.rundir import CONFIG_FILE


def _wait_healthy(url: str, proc: subprocess.Popen, timeout: float) -> None:
    end = time.time() + timeout
    while time.time() < end:
        if proc.poll() is not None:
            raise StudioError(f"trl vllm-serve exited with code {proc.returncode}; see vllm-server.log in the run dir")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(2)
    raise StudioError(f"trl vllm-serve did not answer {url} within {timeout:.0f}s; see vllm-server.log")


def supervise(run_dir: Path, *, resume: bool) -> int:
    """Server mode: vLLM server on its GPUs, the training launch pointed at it, and the server stopped at the end."""
    from rl_studio.events import EventWriter
    from rl_studio.models import resolve_model

    cfg = load_config(run_dir / CONFIG_FILE)
    d = cfg.distributed
    writer = EventWriter(run_dir)
    gpus = ",".join(str(i) for i in range(d.num_processes, d.num_processes + d.server_gpus))
    env = {**os.environ, **MULTICAST_OFF, "CUDA_VISIBLE_DEVICES": gpus}
    trl_cli = shutil.which("trl") or str(Path(sys.executable).parent / "trl")
    cmd = [trl_cli, "vllm-serve", "--model", resolve_model(cfg.model.name, cfg.base_dir),
           "--tensor-parallel-size", str(d.server_gpus), "--port", str(SERVER_PORT),
           "--gpu-memory-utilization", str(cfg.model.gpu_memory_utilization)]
    writer.emit("status", phase="loading_model", message=f"starting trl vllm-serve on GPU {gpus}", progress=None)
    log = open(run_dir / "vllm-server.log", "ab")  # noqa: SIM115 - handed to the child
    server = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    try:
        _wait_healthy(f"http://127.0.0.1:{SERVER_PORT}/health/", server, timeout=900)
        writer.emit("status", phase="loading_model", message=f"vLLM server healthy on port {SERVER_PORT}", progress=None)
        train_env = {**os.environ, **MULTICAST_OFF, "RL_STUDIO_VLLM_SERVER": f"http://127.0.0.1:{SERVER_PORT}"}
        train = subprocess.Popen(training_command(cfg, run_dir, resume=resume), env=train_env)
        while train.poll() is None:
            time.sleep(5)
            if server.poll() is not None:
                writer.emit("warning", message=f"the vLLM server exited with code {server.returncode}", where="server")
                break
        return train.wait()
    except StudioError as e:
        writer.emit("run_finished", outcome="failed", error=str(e), where="server", user_error=True)
        return 2
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
        writer.close()
        log.close()


if __name__ == "__main__":
    args = sys.argv[1:]
    raise SystemExit(supervise(Path([a for a in args if not a.startswith("--")][0]), resume="--resume" in args))

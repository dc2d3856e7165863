"""Several processes, GPUs or hosts: `accelerate launch` with a generated config kept in the run directory (UI-free core).

The engine is the same `python -m rl_studio.engine RUN_DIR`; accelerate starts one copy per process
(DDP, DeepSpeed ZeRO-2/3 or FSDP), only rank 0 writes events and the pid file, and the Trainer's
own checkpointing and resume work unchanged. `RUN_DIR/accelerate.yaml` (and `deepspeed.json`) stay
there, and `RUN_DIR/launch.sh` holds the exact command, so a user can rerun it by hand.
With `generation = "server"`, `python -m rl_studio.distributed RUN_DIR` supervises the run: it starts
`trl vllm-serve` on the GPUs after the training ones, waits for its health check, runs the
training launch pointed at it, and stops the server at the end.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from rl_studio.config import RunConfig
from rl_studio.config import load as load_config
from rl_studio.errors import StudioError
from rl_studio.rundir import CONFIG_FILE

SERVER_PORT = 8000
MULTICAST_OFF = {"NCCL_NVLS_ENABLE": "0", "TORCH_SYMM_MEM_DISABLE_MULTICAST": "1", "NVSHMEM_DISABLE_NVLS": "1"}


def _yaml(data: dict, indent: int = 0) -> str:
    lines = []
    for key, value in data.items():
        pad = "  " * indent
        if isinstance(value, dict):
            lines.append(f"{pad}{key}:")
            lines.append(_yaml(value, indent + 1))
        else:
            text = json.dumps(value) if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else value
            lines.append(f"{pad}{key}: {text}")
    return "\n".join(lines)


def deepspeed_config(stage: int) -> dict:
    """A DeepSpeed config whose batch and precision fields defer to the Trainer ("auto")."""
    return {
        "zero_optimization": {
            "stage": stage,
            "overlap_comm": True,
            "contiguous_gradients": True,
            **({"stage3_gather_16bit_weights_on_model_save": True} if stage == 3 else {}),
        },
        "bf16": {"enabled": "auto"},
        "fp16": {"enabled": "auto"},
        "gradient_accumulation_steps": "auto",
        "gradient_clipping": "auto",
        "train_batch_size": "auto",
        "train_micro_batch_size_per_gpu": "auto",
    }


def accelerate_config(cfg: RunConfig, run_dir: Path) -> dict:
    d = cfg.distributed
    hosts = d.hosts or []
    conf: dict = {
        "compute_environment": "LOCAL_MACHINE",
        "num_processes": d.num_processes * max(1, len(hosts)),
        "num_machines": max(1, len(hosts)),
        "machine_rank": 0,
        "main_training_function": "main",
        "rdzv_backend": "static",
        "same_network": True,
        "use_cpu": False,
    }
    if hosts:
        conf.update(main_process_ip=hosts[0], main_process_port=d.main_process_port)
    else:
        conf.update(main_process_port=d.main_process_port)
    if d.cpu:
        # torchrun-style processes on the CPU with the gloo backend (accelerate's MULTI_CPU needs MPI)
        conf["distributed_type"] = "MULTI_GPU"
    elif d.strategy in ("zero2", "zero3"):
        stage = 2 if d.strategy == "zero2" else 3
        (run_dir / "deepspeed.json").write_text(json.dumps(deepspeed_config(stage), indent=2))
        conf["distributed_type"] = "DEEPSPEED"
        conf["deepspeed_config"] = {"deepspeed_config_file": str(run_dir / "deepspeed.json"), "zero3_init_flag": stage == 3}
    elif d.strategy == "fsdp":
        conf["distributed_type"] = "FSDP"
        conf["fsdp_config"] = {
            "fsdp_version": 2,
            "fsdp_auto_wrap_policy": "TRANSFORMER_BASED_WRAP",
            "fsdp_cpu_ram_efficient_loading": True,
            "fsdp_state_dict_type": "SHARDED_STATE_DICT",
            "fsdp_reshard_after_forward": True,
        }
    else:
        conf["distributed_type"] = "MULTI_GPU"
    if not d.cpu:  # training GPUs first; in server mode the vLLM server takes the ones after them
        conf["gpu_ids"] = ",".join(str(i) for i in range(d.num_processes))
    return conf


def training_command(cfg: RunConfig, run_dir: Path, *, resume: bool) -> list[str]:
    """`accelerate launch --config_file RUN_DIR/accelerate.yaml -m rl_studio.engine RUN_DIR`, written to disk."""
    if shutil.which("accelerate") is None and not (Path(sys.executable).parent / "accelerate").exists():
        raise StudioError("distributed runs need accelerate's launcher: pip install accelerate")
    conf_path = run_dir / "accelerate.yaml"
    conf_path.write_text(_yaml(accelerate_config(cfg, run_dir)) + "\n")
    launcher = str(Path(sys.executable).parent / "accelerate")
    if not Path(launcher).exists():
        launcher = shutil.which("accelerate") or "accelerate"
    cmd = [launcher, "launch", "--config_file", str(conf_path)]
    if cfg.distributed.hosts:
        cmd += ["--machine_rank", os.environ.get("RL_STUDIO_MACHINE_RANK", "0")]
    cmd += ["-m", "rl_studio.engine", str(run_dir)] + (["--resume"] if resume else [])
    script = run_dir / "launch.sh"
    env_lines = "".join(f"export {k}={v}\n" for k, v in MULTICAST_OFF.items())
    script.write_text(f"#!/usr/bin/env bash\n# rerun this run's training launch by hand\n{env_lines}{shlex.join(cmd)}\n")
    script.chmod(0o755)
    return cmd


def launch_command(cfg: RunConfig, run_dir: Path, *, resume: bool = False) -> list[str]:
    """What `rl_studio.launch` starts for a distributed run."""
    if cfg.distributed.generation == "server":
        training_command(cfg, run_dir, resume=resume)  # written now so launch.sh exists from the start
        return [sys.executable, "-m", "rl_studio.distributed", str(run_dir)] + (["--resume"] if resume else [])
    return training_command(cfg, run_dir, resume=resume)


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

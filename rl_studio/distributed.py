"""Several processes, GPUs or hosts: `accelerate launch` with a generated config kept in the run directory (UI-free core).

The engine is the same `python -m rl_studio.engine RUN_DIR`; accelerate starts one copy per process
(DDP, DeepSpeed ZeRO-2/3 or FSDP), only rank 0 writes events and the pid file, and the Trainer's
own checkpointing and resume work unchanged. `RUN_DIR/accelerate.yaml` (and `deepspeed.json`) stay
there, and `RUN_DIR/launch.sh` holds the exact command, so a user can rerun it by hand.
With `generation = "server"`, `python -m rl_studio.vllm_server RUN_DIR` supervises the run (a
separate module, so nothing that launches runs imports the model code).
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import sys
from pathlib import Path

from rl_studio.config import RunConfig
from rl_studio.errors import StudioError

SERVER_PORT = 8000
MULTICAST_OFF = {"NCCL_NVLS_ENABLE": "0", "TORCH_SYMM_MEM_DISABLE_MULTICAST": "1", "NVSHMEM_DISABLE_NVLS": "1"}


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
    import yaml  # accelerate's own dependency, and the format it reads

    conf_path.write_text(yaml.safe_dump(accelerate_config(cfg, run_dir), sort_keys=False))
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
        return [sys.executable, "-m", "rl_studio.vllm_server", str(run_dir)] + (["--resume"] if resume else [])
    return training_command(cfg, run_dir, resume=resume)

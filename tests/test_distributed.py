"""Several processes through `accelerate launch` (gloo on the CPU): one writer, control and resume still work."""

from __future__ import annotations

import json
import os
import signal

import pytest
import yaml
from conftest import cli, wait_for, write_config

from rl_studio import config, control
from rl_studio.distributed import accelerate_config, training_command
from rl_studio.events import read_history
from rl_studio.rundir import complete_checkpoints, engine_pid

pytestmark = pytest.mark.slow
TWO_CPU = "[distributed]\nnum_processes = 2\ncpu = true\nmain_process_port = {port}"


@pytest.mark.parametrize("strategy", ["ddp", "zero2", "zero3", "fsdp"])
def test_generated_launch_files(tmp_path, tiny_model, strategy):
    write_config(tmp_path / "cfg.toml", tiny_model,
                 extra=f'[distributed]\nnum_processes = 4\nstrategy = "{strategy}"')
    cfg = config.load(tmp_path / "cfg.toml")
    run_dir = tmp_path / "r"
    run_dir.mkdir()
    cmd = training_command(cfg, run_dir, resume=True)
    assert cmd[1:4] == ["launch", "--config_file", str(run_dir / "accelerate.yaml")]
    assert cmd[-4:] == ["-m", "rl_studio.engine", str(run_dir), "--resume"]
    conf = yaml.safe_load((run_dir / "accelerate.yaml").read_text())
    assert conf["num_processes"] == 4 and conf["gpu_ids"] == "0,1,2,3"
    expected = {"ddp": "MULTI_GPU", "zero2": "DEEPSPEED", "zero3": "DEEPSPEED", "fsdp": "FSDP"}[strategy]
    assert conf["distributed_type"] == expected
    if strategy.startswith("zero"):
        ds = json.loads((run_dir / "deepspeed.json").read_text())
        assert ds["zero_optimization"]["stage"] == int(strategy[-1])
    script = (run_dir / "launch.sh").read_text()
    assert "NCCL_NVLS_ENABLE=0" in script and "rl_studio.engine" in script and os.access(run_dir / "launch.sh", os.X_OK)
    assert accelerate_config(cfg, run_dir)["num_machines"] == 1


def _events(run_dir):
    return [json.loads(ln) for ln in (run_dir / "events.jsonl").read_text().splitlines()]


def test_two_processes_one_writer_then_resume(tiny_model, tmp_path):
    write_config(tmp_path / "cfg.toml", tiny_model, steps=8, save_steps=3, name="ddp",
                 extra=TWO_CPU.format(port=29611))
    run_dir = tmp_path / "runs" / "ddp"
    assert cli("train", "cfg.toml", "--detach", cwd=tmp_path).returncode == 0
    wait_for(lambda: complete_checkpoints(run_dir) and max(read_history(run_dir).steps, default=0) >= 4)
    pid = engine_pid(run_dir)
    os.killpg(os.getpgid(pid), signal.SIGKILL)  # the launcher and both ranks
    wait_for(lambda: engine_pid(run_dir) is None, timeout=30)
    proc = cli("train", "--resume", str(run_dir), cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    events = _events(run_dir)
    started = [e for e in events if e["type"] == "run_started"]
    assert [e["world_size"] for e in started] == [2, 2]  # one run_started per attempt: only rank 0 writes
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    h = read_history(run_dir)
    assert sorted(h.steps) == list(range(1, 9)) and h.finished["outcome"] == "completed"
    assert (run_dir / "engine.log").read_text().count("engine exited with 0") == 2  # both ranks ran


def test_stop_reaches_every_rank(tiny_model, tmp_path):
    write_config(tmp_path / "cfg.toml", tiny_model, steps=200, save_steps=1000, name="stop",
                 extra=TWO_CPU.format(port=29612))
    run_dir = tmp_path / "runs" / "stop"
    assert cli("train", "cfg.toml", "--detach", cwd=tmp_path).returncode == 0
    wait_for(lambda: len(read_history(run_dir).steps) >= 2)
    control.send(run_dir, "stop")
    h = wait_for(lambda: (lambda h: h if h.finished else None)(read_history(run_dir)), timeout=120)
    assert h.finished["outcome"] == "stopped"
    last = max(h.steps)
    assert last < 200 and h.checkpoints[-1]["step"] == last  # stop-and-save wrote a checkpoint at the boundary
    wait_for(lambda: engine_pid(run_dir) is None, timeout=60)

"""The run config: one TOML file describes a whole run (UI-free core).

The wizard, `rl-studio init` and hand-editing all produce the same file. Every field carries its
help text in `metadata["help"]`, the way TRL's config dataclasses do. The `[grpo]` table is passed
through to TRL's `GRPOConfig`, which validates it (see `rl_studio.grpo`).
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w

from rl_studio.errors import StudioError

ENGINES = ("auto", "unsloth", "trl")
GENERATION_PATHS = ("auto", "vllm", "static", "trl", "continuous")
STRATEGIES = ("ddp", "zero2", "zero3", "fsdp")
BUILTIN_MODEL = "builtin:smollm2-135m-instruct"


def _f(default: Any = dataclasses.MISSING, help: str = "", **kw: Any) -> Any:
    if isinstance(default, list | dict):
        value = default
        return field(default_factory=lambda: type(value)(value), metadata={"help": help}, **kw)
    return field(default=default, metadata={"help": help}, **kw)


@dataclass
class ModelSection:
    name: str = _f(BUILTIN_MODEL, "Model: builtin:smollm2-135m-instruct, a hub id, a local model dir or a .gguf file.")
    engine: str = _f(
        "auto",
        "auto | unsloth | trl. auto: the engine of the fastest generation path that ran here: on an NVIDIA GPU, "
        "trl with the static-cache CUDA-graph decoder (unsloth when vLLM fast_inference is usable); trl on the CPU.",
    )
    load_in_4bit: bool = _f(False, "Load the base weights in 4-bit (bitsandbytes, GPU only) for QLoRA.")
    max_seq_length: int = _f(1024, "Longest prompt + completion, in tokens.")
    fast_inference: bool = _f(False, "vLLM-class generation where available (Unsloth fast_inference / TRL use_vllm).")
    gpu_memory_utilization: float = _f(0.6, "Share of GPU memory the generation engine may take (vLLM).")
    vllm_standby: bool = _f(
        False,
        "Unsloth fast_inference only: vLLM standby mode (UNSLOTH_VLLM_STANDBY=1), which frees vLLM's memory "
        "during training steps so a larger gpu_memory_utilization fits.",
    )
    generation: str = _f(
        "auto",
        "Generation path: auto | vllm | static (static KV cache + CUDA graphs) | trl (plain generate) | "
        "continuous (transformers continuous batching). auto picks the fastest that works here.",
    )
    generation_memory: str = _f(
        "auto",
        "Static path only. lean: the KV cache and CUDA graph exist only while generating (captured again each "
        "time, LoRA unmerged), so generation memory never adds to the training step's. fast: keep them between "
        "generations and merge LoRA into generation-only weights: faster, more memory. auto: fast while the "
        "merged weights take at most an eighth of free GPU memory, else lean.",
    )
    dtype: str = _f("auto", "auto | bfloat16 | float16 | float32. auto: bf16 on GPUs that support it, fp32 on CPU.")


@dataclass
class LoraSection:
    enabled: bool = _f(True, "Train a LoRA adapter; false trains every weight (full fine-tuning).")
    r: int = _f(16, "LoRA rank.")
    alpha: int = _f(16, "LoRA alpha (scaling = alpha / r).")
    dropout: float = _f(0.0, "LoRA dropout.")
    target_modules: list[str] = _f(
        ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
        "Modules that get LoRA adapters.",
    )


@dataclass
class DatasetSection:
    source: str = _f("builtin:arithmetic", "builtin:arithmetic, a hub id, or a local .json/.jsonl/.csv/.parquet file.")
    split: str = _f("train", "Split to train on.")
    prompt_column: str = _f("question", "Column holding the prompt text (or a list of chat messages).")
    answer_column: str | None = _f(None, "Optional column with the reference answer; passed to rewards like every column.")
    system_prompt: str | None = _f(None, "System message put before each prompt through the tokenizer's chat template.")
    max_samples: int | None = _f(512, "Use at most this many rows (the built-in generator makes this many).")


@dataclass
class RewardSpec:
    name: str | None = _f(None, "A built-in reward (correctness, think_format, boxed_format, overlong) or trl.rewards.NAME.")
    path: str | None = _f(None, "User code as FILE.py:FUNCTION, called with TRL's reward-function convention.")
    weight: float = _f(1.0, "Weight of this reward in the total (GRPOConfig.reward_weights).")

    @property
    def label(self) -> str:
        if self.path:
            return self.path.rsplit(":", 1)[-1]
        return str(self.name).rsplit(".", 1)[-1]


@dataclass
class RunSection:
    name: str = _f("run", "Run name; the run directory is OUTPUT_DIR/NAME.")
    output_dir: str = _f("runs", "Where run directories go.")
    save_steps: int = _f(50, "Save a Trainer checkpoint every this many steps.")
    save_total_limit: int | None = _f(3, "Keep at most this many checkpoints.")
    seed: int = _f(3407, "Random seed for data, sampling and training.")
    samples_per_step: int = _f(16, "Completions kept per step in the event stream (for the samples pane).")


@dataclass
class DistributedSection:
    num_processes: int = _f(1, "Training processes (one per GPU). 1 runs in-process without accelerate.")
    strategy: str = _f("ddp", "ddp | zero2 | zero3 | fsdp.")
    generation: str = _f("colocate", "colocate (each process generates) | server (trl vllm-serve on server_gpus).")
    server_gpus: int = _f(1, "GPUs given to the vLLM server in server mode.")
    hosts: list[str] = _f([], "Hosts for multi-node runs, main host first; empty for one host.")
    main_process_port: int = _f(29500, "Rendezvous port on the main host.")
    cpu: bool = _f(False, "Run the processes on the CPU with the gloo backend (tests, debugging).")


SECTIONS: dict[str, type] = {
    "model": ModelSection,
    "lora": LoraSection,
    "dataset": DatasetSection,
    "run": RunSection,
    "distributed": DistributedSection,
}


@dataclass
class RunConfig:
    model: ModelSection = field(default_factory=ModelSection)
    lora: LoraSection = field(default_factory=LoraSection)
    dataset: DatasetSection = field(default_factory=DatasetSection)
    rewards: list[RewardSpec] = field(default_factory=lambda: [RewardSpec(name="correctness")])
    grpo: dict[str, Any] = field(default_factory=dict)
    run: RunSection = field(default_factory=RunSection)
    distributed: DistributedSection = field(default_factory=DistributedSection)
    base_dir: Path = field(default_factory=Path.cwd, compare=False, repr=False)

    # ---- dict / TOML round trip -------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key in ("model", "lora", "dataset"):
            out[key] = _drop_none(dataclasses.asdict(getattr(self, key)))
        out["rewards"] = [_drop_none(dataclasses.asdict(r)) for r in self.rewards]
        out["grpo"] = dict(self.grpo)
        out["run"] = _drop_none(dataclasses.asdict(self.run))
        if self.distributed != DistributedSection():
            out["distributed"] = _drop_none(dataclasses.asdict(self.distributed))
        return out

    def to_toml(self) -> str:
        return tomli_w.dumps(self.to_dict())

    def save(self, path: str | Path) -> Path:
        """Write the TOML atomically (a temp file then rename), so no half-written config is left."""
        path = Path(path)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(self.to_toml())
        tmp.replace(path)
        return path

    # ---- paths ------------------------------------------------------------------------------
    def resolve_path(self, value: str) -> Path:
        p = Path(value).expanduser()
        return p if p.is_absolute() else (self.base_dir / p)

    @property
    def run_dir(self) -> Path:
        return self.resolve_path(self.run.output_dir) / self.run.name

    def absolutized(self) -> RunConfig:
        """A copy whose relative paths are made absolute (what goes into the run directory)."""
        cfg = from_dict(self.to_dict(), base_dir=self.base_dir)
        cfg.run.output_dir = str(self.resolve_path(cfg.run.output_dir))
        if _looks_local(cfg.model.name):
            cfg.model.name = str(self.resolve_path(cfg.model.name))
        if _looks_local(cfg.dataset.source):
            cfg.dataset.source = str(self.resolve_path(cfg.dataset.source))
        for r in cfg.rewards:
            if r.path:
                file, _, func = r.path.rpartition(":")
                r.path = f"{self.resolve_path(file)}:{func}"
        return cfg


def _looks_local(value: str) -> bool:
    if value.startswith("builtin:"):
        return False
    return value.startswith((".", "/", "~")) or value.endswith((".gguf", ".json", ".jsonl", ".csv", ".parquet"))


def _drop_none(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


def _build(cls: type, table: Any, where: str) -> Any:
    if not isinstance(table, dict):
        raise StudioError(f"[{where}] must be a table", where="config")
    known = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(table) - set(known))
    if unknown:
        raise StudioError(
            f"unknown key {where}.{unknown[0]}; known keys: {', '.join(sorted(known))}", where="config"
        )
    kwargs = {}
    for key, value in table.items():
        kwargs[key] = _coerce(value, known[key], f"{where}.{key}")
    return cls(**kwargs)


def _coerce(value: Any, f: dataclasses.Field, where: str) -> Any:
    t = str(f.type)
    if t == "bool":
        if not isinstance(value, bool):
            raise StudioError(f"{where} must be true or false, got {value!r}", where="config")
    elif t == "int" or t.startswith("int |"):
        if isinstance(value, bool) or not isinstance(value, int):
            raise StudioError(f"{where} must be an integer, got {value!r}", where="config")
    elif t == "float":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise StudioError(f"{where} must be a number, got {value!r}", where="config")
        value = float(value)
    elif t.startswith("list"):
        if not isinstance(value, list):
            raise StudioError(f"{where} must be a list, got {value!r}", where="config")
    elif t.startswith("str"):
        if not isinstance(value, str):
            raise StudioError(f"{where} must be a string, got {value!r}", where="config")
    return value


def from_dict(data: dict[str, Any], *, base_dir: Path | None = None) -> RunConfig:
    """Build and check a RunConfig from parsed TOML."""
    known_top = set(SECTIONS) | {"rewards", "grpo"}
    unknown = sorted(set(data) - known_top)
    if unknown:
        raise StudioError(f"unknown table [{unknown[0]}]; known: {', '.join(sorted(known_top))}", where="config")
    cfg = RunConfig(base_dir=(base_dir or Path.cwd()).resolve())
    for key, cls in SECTIONS.items():
        if key in data:
            setattr(cfg, key, _build(cls, data[key], key))
    if "rewards" in data:
        rewards = data["rewards"]
        if not isinstance(rewards, list) or not rewards:
            raise StudioError("[[rewards]] must list at least one reward function", where="config")
        cfg.rewards = [_build(RewardSpec, r, f"rewards[{i}]") for i, r in enumerate(rewards)]
    if "grpo" in data:
        if not isinstance(data["grpo"], dict):
            raise StudioError("[grpo] must be a table of GRPOConfig fields", where="config")
        cfg.grpo = dict(data["grpo"])
    check(cfg)
    return cfg


def check(cfg: RunConfig) -> None:
    """Checks that need no heavy import; GRPOConfig itself validates [grpo] later."""
    m = cfg.model
    if m.engine not in ENGINES:
        raise StudioError(f"model.engine must be one of {', '.join(ENGINES)}, got {m.engine!r}", where="config")
    if m.generation not in GENERATION_PATHS:
        raise StudioError(
            f"model.generation must be one of {', '.join(GENERATION_PATHS)}, got {m.generation!r}", where="config"
        )
    if m.generation_memory not in ("auto", "lean", "fast"):
        raise StudioError(
            f"model.generation_memory must be auto, lean or fast, got {m.generation_memory!r}", where="config"
        )
    if not 0.05 <= m.gpu_memory_utilization <= 0.99:
        raise StudioError("model.gpu_memory_utilization must be between 0.05 and 0.99", where="config")
    if m.max_seq_length < 16:
        raise StudioError("model.max_seq_length must be at least 16", where="config")
    if cfg.lora.enabled and cfg.lora.r < 1:
        raise StudioError("lora.r must be at least 1 (or set lora.enabled = false for full fine-tuning)", where="config")
    if cfg.dataset.max_samples is not None and cfg.dataset.max_samples < 1:
        raise StudioError("dataset.max_samples must be at least 1", where="config")
    for i, r in enumerate(cfg.rewards):
        if bool(r.name) == bool(r.path):
            raise StudioError(f"rewards[{i}] needs exactly one of name = \"...\" or path = \"FILE.py:FUNC\"", where="config")
        if r.path and ":" not in r.path:
            raise StudioError(
                f"rewards[{i}].path must be FILE.py:FUNCTION, got {r.path!r}", where="config"
            )
    if not cfg.run.name or "/" in cfg.run.name or cfg.run.name.startswith("."):
        raise StudioError(f"run.name must be a plain directory name, got {cfg.run.name!r}", where="config")
    d = cfg.distributed
    if d.strategy not in STRATEGIES:
        raise StudioError(f"distributed.strategy must be one of {', '.join(STRATEGIES)}", where="config")
    if d.generation not in ("colocate", "server"):
        raise StudioError("distributed.generation must be colocate or server", where="config")
    if d.num_processes < 1:
        raise StudioError("distributed.num_processes must be at least 1", where="config")


def parse_override(text: str) -> tuple[list[str], Any]:
    """`grpo.learning_rate=1e-5` -> (["grpo", "learning_rate"], 1e-5). Values are read as TOML, else as strings."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise StudioError(f"--set takes KEY=VALUE (for example grpo.learning_rate=1e-5), got {text!r}")
    try:
        value = tomllib.loads(f"v = {raw.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw.strip()
    return key.strip().split("."), value


def apply_overrides(data: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    for text in overrides:
        keys, value = parse_override(text)
        node = data
        for k in keys[:-1]:
            if k == "rewards":
                raise StudioError("--set cannot change [[rewards]]; edit the file instead")
            node = node.setdefault(k, {})
            if not isinstance(node, dict):
                raise StudioError(f"--set {text}: {k} is not a table")
        node[keys[-1]] = value
    return data


def load(path: str | Path, overrides: list[str] | None = None) -> RunConfig:
    """Load a run config; relative paths inside it are relative to the file."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise StudioError(f"config file {path} not found; create one with `rl-studio init {path}`")
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as e:
        raise StudioError(f"{path} is not valid TOML: {e}") from None
    data = apply_overrides(data, overrides or [])
    return from_dict(data, base_dir=path.resolve().parent)


def default_config(**run: Any) -> RunConfig:
    cfg = RunConfig()
    for k, v in run.items():
        setattr(cfg.run, k, v)
    return cfg


def field_help(cls: type) -> dict[str, str]:
    return {f.name: f.metadata.get("help", "") for f in dataclasses.fields(cls)}

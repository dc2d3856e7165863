"""Export a trained run: LoRA adapter, merged 16-bit or 4-bit model, GGUF, or a push to the Hub (UI-free core).

Runs trained with Unsloth export through Unsloth's own save_pretrained_merged / save_pretrained_gguf /
push_to_hub_merged; other runs through PEFT's merge_and_unload and huggingface_hub. Progress goes
to the run's event stream as `export` events. Hub tokens come from the environment or
huggingface_hub's login and are never written to any log, event or file.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from rl_studio.config import load as load_config
from rl_studio.errors import StudioError
from rl_studio.events import EventWriter, read_history
from rl_studio.rundir import CONFIG_FILE, newest_checkpoint

GGUF_TYPES = ("f16", "bf16", "q8_0")  # convert_hf_to_gguf.py writes these itself; others go through llama-quantize


def source_dir(run_dir: Path, checkpoint: str | None = None) -> Path:
    if checkpoint:
        p = Path(checkpoint)
        if not p.is_dir():
            raise StudioError(f"checkpoint {p} not found")
        return p
    if (run_dir / "final").is_dir():
        return run_dir / "final"
    ckpt = newest_checkpoint(run_dir)
    if ckpt is None:
        raise StudioError(f"{run_dir} has no trained model yet (no final/ and no complete checkpoint)")
    return ckpt


def _check_target(target: Path) -> None:
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise StudioError(f"{target} already exists and is not empty; choose a new directory (nothing was overwritten)")


def _hub_token() -> str:
    from huggingface_hub import get_token

    token = get_token()
    if not token:
        raise StudioError("no Hugging Face token: run `hf auth login` or set HF_TOKEN, then export again")
    return token


def _is_adapter(src: Path) -> bool:
    return (src / "adapter_config.json").is_file()


def _load_merged_trl(src: Path, base: str, dtype: str):
    """Base + adapter merged with PEFT (or the full fine-tuned model), and its tokenizer."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch_dtype = getattr(torch, dtype)
    if _is_adapter(src):
        from peft import PeftModel

        model = AutoModelForCausalLM.from_pretrained(base, dtype=torch_dtype)
        model = PeftModel.from_pretrained(model, str(src)).merge_and_unload()
    else:
        model = AutoModelForCausalLM.from_pretrained(str(src), dtype=torch_dtype)
    tokenizer = AutoTokenizer.from_pretrained(str(src) if (src / "tokenizer_config.json").is_file() else base)
    return model, tokenizer


def _llama_cpp() -> tuple[Path, Path | None]:
    root = os.environ.get("LLAMA_CPP_DIR")
    candidates = [Path(root)] if root else []
    candidates += [Path.home() / "llama.cpp", Path("/opt/llama.cpp")]
    for c in candidates:
        script = c / "convert_hf_to_gguf.py"
        if script.is_file():
            quant = shutil.which("llama-quantize") or next(
                (str(p) for p in (c / "build" / "bin" / "llama-quantize", c / "llama-quantize") if p.is_file()), None
            )
            return script, Path(quant) if quant else None
    raise StudioError(
        "GGUF export needs llama.cpp: `git clone https://github.com/ggml-org/llama.cpp ~/llama.cpp && "
        "pip install -r ~/llama.cpp/requirements/requirements-convert_hf_to_gguf.txt` (or set LLAMA_CPP_DIR)"
    )


class Exporter:
    def __init__(self, run_dir: Path, checkpoint: str | None = None):
        self.run_dir = run_dir.resolve()
        if not (self.run_dir / CONFIG_FILE).is_file():
            raise StudioError(f"{run_dir} is not a run directory (no {CONFIG_FILE})")
        self.cfg = load_config(self.run_dir / CONFIG_FILE)
        self.src = source_dir(self.run_dir, checkpoint)
        started = read_history(self.run_dir).started or {}
        self.engine = started.get("engine", "trl")
        self.dtype = "bfloat16" if started.get("device", "cpu") != "cpu" else "float32"
        self.writer = EventWriter(self.run_dir)

    def base_model(self) -> str:
        from rl_studio.models import resolve_model

        return resolve_model(self.cfg.model.name, self.cfg.base_dir)

    def _unsloth_model(self, load_in_4bit: bool = False):
        from unsloth import FastLanguageModel

        return FastLanguageModel.from_pretrained(
            model_name=str(self.src), max_seq_length=self.cfg.model.max_seq_length, load_in_4bit=load_in_4bit
        )

    def run(self, kind: str, target: str, **kw: Any) -> str:
        self.writer.emit("export", kind=kind, state="started", path=target, message=f"from {self.src.name}")
        try:
            path = getattr(self, "_" + kind.replace("-", "_"))(target, **kw)
        except Exception as e:
            message = str(e) if isinstance(e, StudioError) else f"{type(e).__name__}: {e}"[:300]
            self.writer.emit("export", kind=kind, state="failed", path=None, message=message)
            raise
        else:
            self.writer.emit("export", kind=kind, state="done", path=path, message="")
        finally:
            self.writer.close()
        return path

    def _adapter(self, target: str) -> str:
        out = Path(target)
        _check_target(out)
        if not _is_adapter(self.src):
            raise StudioError("this run trained every weight (lora.enabled = false): export --merged-16bit instead")
        import torch
        from peft import PeftModel
        from transformers import AutoModelForCausalLM, AutoTokenizer

        base = AutoModelForCausalLM.from_pretrained(self.base_model(), dtype=torch.float32)
        model = PeftModel.from_pretrained(base, str(self.src))
        model.save_pretrained(str(out))
        AutoTokenizer.from_pretrained(str(self.src)).save_pretrained(str(out))
        return str(out)

    def _merged_16bit(self, target: str) -> str:
        out = Path(target)
        _check_target(out)
        if self.engine == "unsloth":
            model, tokenizer = self._unsloth_model()
            model.save_pretrained_merged(str(out), tokenizer, save_method="merged_16bit")
            return str(out)
        dtype = "bfloat16" if self.dtype == "bfloat16" else "float16"
        model, tokenizer = _load_merged_trl(self.src, self.base_model(), dtype)
        model.save_pretrained(str(out))
        tokenizer.save_pretrained(str(out))
        return str(out)

    def _merged_4bit(self, target: str) -> str:
        out = Path(target)
        _check_target(out)
        import torch

        if not torch.cuda.is_available():
            raise StudioError("a merged 4-bit export needs an NVIDIA GPU (bitsandbytes); export --merged-16bit here")
        if self.engine == "unsloth":
            model, tokenizer = self._unsloth_model()
            model.save_pretrained_merged(str(out), tokenizer, save_method="merged_4bit_forced")
            return str(out)
        from transformers import AutoModelForCausalLM, BitsAndBytesConfig

        with tempfile.TemporaryDirectory() as tmp:
            model, tokenizer = _load_merged_trl(self.src, self.base_model(), "bfloat16")
            model.save_pretrained(tmp)
            q = AutoModelForCausalLM.from_pretrained(
                tmp, quantization_config=BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4")
            )
            q.save_pretrained(str(out))
            tokenizer.save_pretrained(str(out))
        return str(out)

    def _gguf(self, target: str, quant: str = "q8_0") -> str:
        out = Path(target)
        _check_target(out)
        quant = quant.lower()
        if self.engine == "unsloth":
            model, tokenizer = self._unsloth_model()
            model.save_pretrained_gguf(str(out), tokenizer, quantization_method=quant)
            return str(out)
        script, quantizer = _llama_cpp()
        if quant not in GGUF_TYPES and quantizer is None:
            raise StudioError(
                f"GGUF {quant} needs llama.cpp's llama-quantize binary (build llama.cpp); or use one of {', '.join(GGUF_TYPES)}"
            )
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory() as tmp:
            model, tokenizer = _load_merged_trl(self.src, self.base_model(), "float16")
            model.save_pretrained(tmp)
            tokenizer.save_pretrained(tmp)
            first = quant if quant in GGUF_TYPES else "f16"
            gguf = out / f"model-{first}.gguf"
            subprocess.run([sys.executable, str(script), tmp, "--outfile", str(gguf), "--outtype", first], check=True)
            if quant != first:
                final = out / f"model-{quant}.gguf"
                subprocess.run([str(quantizer), str(gguf), str(final), quant.upper()], check=True)
                gguf.unlink()
                gguf = final
        return str(out)

    def _push(self, repo: str, private: bool = False) -> str:
        token = _hub_token()
        if self.engine == "unsloth":
            model, tokenizer = self._unsloth_model()
            model.push_to_hub_merged(repo, tokenizer, save_method="merged_16bit", token=token, private=private)
            return f"https://huggingface.co/{repo}"
        from huggingface_hub import HfApi

        api = HfApi(token=token)
        with tempfile.TemporaryDirectory() as tmp:
            model, tokenizer = _load_merged_trl(self.src, self.base_model(), "bfloat16")
            model.save_pretrained(tmp)
            tokenizer.save_pretrained(tmp)
            try:
                api.create_repo(repo, private=private, exist_ok=True)
                api.upload_folder(folder_path=tmp, repo_id=repo, commit_message="rl-studio GRPO export")
            except Exception as e:  # noqa: BLE001 - network and permission errors are the user's to fix
                raise StudioError(f"push to {repo} failed: {type(e).__name__}: {str(e).splitlines()[0][:200]}") from None
        return f"https://huggingface.co/{repo}"


def export_cli(args: Any) -> int:
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    run_dir = Path(args.run_dir)
    exporter = Exporter(run_dir, args.checkpoint)
    if args.adapter:
        path = exporter.run("adapter", args.adapter)
    elif args.merged_16bit:
        path = exporter.run("merged-16bit", args.merged_16bit)
    elif args.merged_4bit:
        path = exporter.run("merged-4bit", args.merged_4bit)
    elif args.gguf:
        quant, target = args.gguf
        path = exporter.run("gguf", target, quant=quant)
    else:
        path = exporter.run("push", args.push, private=args.private)
    print(f"exported {path}")
    return 0

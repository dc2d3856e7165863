#!/usr/bin/env bash
# Install rl-studio and its test tools into ./.venv (idempotent). Used by scripts/demo.sh, scripts/test.sh and CI.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
pip_() { .venv/bin/python -m pip install -q --disable-pip-version-check "$@"; }
if ! .venv/bin/python -c "import torch" 2>/dev/null; then
  if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
    pip_ "torch>=2.11,<2.15"          # a CUDA build for the GPU box
  else
    pip_ "torch==2.13.0"              # the CPU build (on these machines it is already on disk)
  fi
fi
pip_ -e ".[test]"
.venv/bin/python -c "import rl_studio, trl, textual; print('rl-studio', rl_studio.__version__, '| trl', trl.__version__, '| textual', textual.__version__)"

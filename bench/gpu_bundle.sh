#!/usr/bin/env bash
# Set up the lent GPU host for rl-studio and run a command there (see docs/performance.md).
#
#   bash bench/gpu_bundle.sh setup            # install .whl/*.whl into /tmp/site, join .ferry/gguf.part* into /tmp/ferry
#   bash bench/gpu_bundle.sh run CMD ARGS...  # run CMD with the environment below
#
# The host has torch, transformers, peft, accelerate and triton but no trl/unsloth/datasets and no
# network: the wheels travel in .whl/ (from ../shared/offline-gpu/fetch-wheels.sh, bitsandbytes
# trimmed to its CUDA 13 libraries), and the SmolLM2 GGUF (98 MB, over one call's 64 MiB) travels in
# two halves in .ferry/ over two back-to-back calls on the warm machine. Prepare both here with
#   bash bench/gpu_bundle.sh prepare GGUF_FILE
set -euo pipefail
cd "$(dirname "$0")/.."
SITE=/tmp/site
FERRY=/tmp/ferry
GGUF_NAME=SmolLM2-135M-Instruct.Q4_1.gguf

env_setup() {
  export PYTHONPATH="$SITE:$PWD" HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_DATASETS_OFFLINE=1
  export PYTHONUNBUFFERED=1 TOKENIZERS_PARALLELISM=false RL_STUDIO_CACHE=/tmp/rlcache
  export UNSLOTH_DISABLE_STATISTICS=1 HF_HUB_DISABLE_TELEMETRY=1
  [ -f "$FERRY/$GGUF_NAME" ] && export RL_STUDIO_SMOLLM2_GGUF="$FERRY/$GGUF_NAME"
  return 0
}

case "${1:-}" in
  prepare)
    mkdir -p .ferry && rm -f .ferry/gguf.part*
    split -b 38m "${2:?GGUF file}" .ferry/gguf.part
    ex="$(git rev-parse --git-path info/exclude)"; mkdir -p "$(dirname "$ex")"; grep -qx "/.ferry/" "$ex" 2>/dev/null || echo "/.ferry/" >> "$ex"
    ls -la .ferry .whl | head -40
    ;;
  setup)
    if [ ! -d "$SITE/trl" ] && ls .whl/*.whl >/dev/null 2>&1; then
      python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "$SITE" .whl/*.whl
    fi
    mkdir -p "$FERRY"
    for p in .ferry/gguf.part*; do [ -f "$p" ] && cp -n "$p" "$FERRY/"; done
    if [ ! -f "$FERRY/$GGUF_NAME" ] && [ -f "$FERRY/gguf.partaa" ] && [ -f "$FERRY/gguf.partab" ] && [ -f "$FERRY/gguf.partac" ]; then
      cat "$FERRY"/gguf.parta? > "$FERRY/$GGUF_NAME.tmp" && mv "$FERRY/$GGUF_NAME.tmp" "$FERRY/$GGUF_NAME"
    fi
    env_setup
    nvidia-smi --query-gpu=name,memory.total,memory.used,driver_version --format=csv,noheader || true
    python3 -c "import torch, transformers, trl, peft; print('torch', torch.__version__, 'transformers', transformers.__version__, 'trl', trl.__version__, 'peft', peft.__version__, torch.cuda.get_device_name(0))"
    ls -la "$FERRY" || true
    ;;
  run)
    shift
    env_setup
    "$@"
    ;;
  *)
    echo "usage: $0 prepare GGUF | setup | run CMD..." >&2
    exit 2
    ;;
esac

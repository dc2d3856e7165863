#!/usr/bin/env bash
# Install, then run the offline demo: SmolLM2-135M-Instruct learns arithmetic with GRPO, then its adapter is exported.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
exec .venv/bin/rl-studio demo "$@"

#!/usr/bin/env bash
# Install, then run the whole test suite. A run that collects no test fails (pytest's exit 5 is not success).
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh || exit 1
.venv/bin/ruff check rl_studio tests bench || exit 1
.venv/bin/lint-imports || exit 1
.venv/bin/python -m pytest -q "$@"
rc=$?
if [ "$rc" -eq 5 ]; then
  echo "pytest collected no tests: failing on purpose" >&2
  exit 1
fi
exit "$rc"

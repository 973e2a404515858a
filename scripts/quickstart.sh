#!/usr/bin/env bash
# Quick start, command 1: install everything, then run the demo case from registration to
# delivered PDF letters on a fresh SQLite file (./demo-output).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
.venv/bin/ogi demo --home demo-output
echo
echo "完成。之后可执行：source .venv/bin/activate && ogi --help"

#!/usr/bin/env bash
# Quick start, command 2: install what the tests need, then run the whole suite.
# PostgreSQL tests run against 127.0.0.1:5432 (database `test`); they are skipped only where
# no server answers. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh --test
exec .venv/bin/python -m pytest -q -p no:cacheprovider "$@"

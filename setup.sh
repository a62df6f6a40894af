#!/usr/bin/env bash
# Sets up newscrawler in ./.venv (idempotent): Python packages from requirements.txt,
# the package itself in editable mode. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")"
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -r requirements.txt
.venv/bin/python -m pip install -q --no-deps -e . -e ./testing
echo "newscrawler is set up in $(pwd)/.venv"

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
# pywb (replaying the WARC files: the replay tests, README "Replay") in a venv of its own: it
# pins redis 2.10 and pyOpenSSL<26.2 and brings brotlipy, which clash with .venv's packages.
if [ ! -x .venv-pywb/bin/python ]; then
  "$PY" -m venv .venv-pywb
fi
.venv-pywb/bin/python -m pip install -q -r requirements-pywb.txt
echo "newscrawler is set up in $(pwd)/.venv"

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

# The browser tests of the web app (tests/test_web_browser.py: Playwright) drive Debian's
# chromium, and screenshots of Chinese pages need a CJK font: installed when missing (as root,
# quietly); without them those tests are skipped, saying why.
if ! dpkg -s chromium fonts-noto-cjk >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    (export DEBIAN_FRONTEND=noninteractive
     apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium fonts-noto-cjk) >/dev/null 2>&1 \
      || echo "setup: could not install chromium and fonts-noto-cjk: the browser tests will be skipped"
  else
    echo "setup: for the browser tests, install chromium and fonts-noto-cjk (as root: apt-get install chromium fonts-noto-cjk)"
  fi
fi

# ReplayWeb.page's own ui.js and sw.js (tests/test_replayweb.py opens an exported WACZ in it), the
# version pinned in testing/replayweb/package-lock.json; without npm that test is skipped, saying why.
if command -v npm >/dev/null 2>&1; then
  (cd testing/replayweb && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null) \
    || echo "setup: npm ci in testing/replayweb failed: the ReplayWeb.page test will be skipped"
else
  echo "setup: for the ReplayWeb.page test, install Node.js and npm, then run setup.sh again"
fi
echo "newscrawler is set up in $(pwd)/.venv"

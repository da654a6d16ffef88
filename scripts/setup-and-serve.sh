#!/usr/bin/env bash
# The main job on a fresh machine: install, build the evidence store, open the web observatory.
# Uses ../shared/sources as the mirror when it is there; otherwise downloads the pinned files.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d .venv ] || python3 -m venv .venv
. .venv/bin/activate
python -m pip install -q --upgrade pip
python -m pip install -q -e .
if [ -z "${LEFTBEHIND_MIRROR:-}" ] && [ -f ../shared/sources/manifest.csv ]; then
  export LEFTBEHIND_MIRROR="$(cd ../shared/sources && pwd)"
fi
leftbehind build
leftbehind db upgrade   # the community database (SQLite in $LEFTBEHIND_HOME unless configured)
exec leftbehind serve "$@"

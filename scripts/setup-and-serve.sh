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
# First run has data: the sample 360Giving files (five funders' published grants, not GrantNav),
# imported once (re-importing changes nothing); the funding page says they are samples.
if [ -d ../shared/samples/grants ] && ls ../shared/samples/grants/*.* >/dev/null 2>&1; then
  leftbehind grants import ../shared/samples/grants/*.* --samples || \
    echo "Could not import the sample grants; the site starts without them." >&2
fi
exec leftbehind serve "$@"

#!/usr/bin/env bash
# The test command from README.md: lint, then the whole suite (unit, integration, browser).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/pytest ]; then
  python3 -m venv .venv
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".[dev]"
fi
. .venv/bin/activate
ruff check src tests bench
# Two processes (pytest-xdist; this machine has two cores); tests/conftest.py runs the tests
# that need no evidence store first.
pytest -n "${LEFTBEHIND_TEST_WORKERS:-2}" --doctest-modules --durations=30 src/leftbehind tests "$@"

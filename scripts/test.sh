#!/usr/bin/env bash
# The test command from README.md: lint, then the whole suite (unit, integration, browser).
set -euo pipefail
cd "$(dirname "$0")/.."
. .venv/bin/activate
ruff check src tests bench
pytest --doctest-modules src/leftbehind tests "$@"

#!/usr/bin/env bash
# The test suite on a fresh machine: set-up, lint, then every test (the glyph build
# and a quick benchmark included). Extra arguments go to pytest.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck disable=SC1091
source "$ROOT/scripts/setup.sh"
cd "$ROOT"
ruff check .
ruff format --check .
status=0
python -m pytest "$@" || status=$?
if [[ $status -eq 5 ]]; then
  echo "test: pytest collected no tests; failing" >&2
  exit 1
fi
exit $status

#!/usr/bin/env bash
# The test suite on a fresh machine: set-up, lint, the project's S3 server (Ceph RGW,
# installed and started if needed), then every test (the glyph build, a quick
# benchmark and the storage guarantees against real S3 included). Extra arguments go
# to pytest.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck disable=SC1091
source "$ROOT/scripts/setup.sh"
cd "$ROOT"
ruff check .
ruff format --check .
bash scripts/s3-server.sh start
status=0
python -m pytest "$@" || status=$?
if [[ $status -eq 5 ]]; then
  echo "test: pytest collected no tests; failing" >&2
  exit 1
fi
exit $status

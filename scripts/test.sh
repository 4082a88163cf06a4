#!/usr/bin/env bash
# The test suite on a fresh machine: set-up, lint, the deployment checks (hadolint,
# Helm lint and Kubernetes schemas), the project's S3 server (Ceph RGW, installed and
# started if needed), then every test (the glyph build, a quick benchmark, the storage
# guarantees against real S3 and the Airflow DAGs end to end against S3 and an MLflow
# server included). Extra arguments go to pytest.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck disable=SC1091
source "$ROOT/scripts/setup.sh"
cd "$ROOT"
ruff check .
ruff format --check .
bash scripts/check-deploy.sh
bash scripts/s3-server.sh start
status=0
python -m pytest "$@" || status=$?
if [[ $status -eq 5 ]]; then
  echo "test: pytest collected no tests; failing" >&2
  exit 1
fi
exit $status

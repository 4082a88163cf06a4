#!/usr/bin/env bash
# Idempotent set-up shared by the README's commands: system packages (the glyph
# fonts and Fashion-MNIST from Debian), a virtual environment in .venv, and the
# project installed into it with torch held to the local CPU build.
# Source it (". scripts/setup.sh") to get the environment activated.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${UPGRADEFLOW_VENV:-$ROOT/.venv}"
PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3

apt_packages=(dataset-fashion-mnist)
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

if [[ ! -x "$VENV/bin/python" ]]; then
  echo "setup: creating virtual environment $VENV" >&2
  "$PYTHON" -m venv "$VENV"
fi

# Reinstall only when the dependency declarations changed since the last install.
stamp="$VENV/.upgradeflow-install"
want="$(cat "$ROOT/pyproject.toml" "$ROOT/constraints.txt" | sha256sum | cut -d' ' -f1)"
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
  echo "setup: installing upgradeflow and its dependencies into $VENV" >&2
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check \
    -c "$ROOT/constraints.txt" -e "$ROOT[test]"
  echo "$want" > "$stamp"
fi

# shellcheck disable=SC1091
source "$VENV/bin/activate"

#!/usr/bin/env bash
# The main job on embedded defaults: build the glyph benchmark data, then run the
# baseline compatibility benchmark (old, independent, BCT) in quick mode and print
# the cross-model table.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck disable=SC1091
source "$ROOT/scripts/setup.sh"
cd "$ROOT"
DATA="${UPGRADEFLOW_DATA:-$ROOT/data}"
upgradeflow data glyphs --out "$DATA/glyphs"
upgradeflow bench compat --dataset glyphs --data-dir "$DATA" \
  --methods old,independent,bct --quick --out "$DATA/results/compat-glyphs-quick.json" "$@"

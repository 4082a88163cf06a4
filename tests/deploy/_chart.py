"""Paths and helpers shared by the deployment tests.

The chart helpers live in scripts/ (scripts/check-deploy.sh runs the same code), so
they are imported from there.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "charts" / "upgradeflow"
PRODUCTION = CHART / "values-production.yaml"
sys.path.insert(0, str(ROOT / "scripts"))

import helm_check  # noqa: E402
import yaml  # noqa: E402

Manifests = list[dict[str, Any]]


def find(manifests: Manifests, kind: str, suffix: str = "") -> dict[str, Any]:
    """The one object of ``kind`` whose name ends with ``suffix``."""
    matches = [d for d in manifests if d["kind"] == kind and d["metadata"]["name"].endswith(suffix)]
    assert len(matches) == 1, f"{kind} *{suffix}: {[d['metadata']['name'] for d in matches]}"
    return matches[0]


def pod_settings(manifests: Manifests) -> dict[str, Any]:
    """The JSON the DAG factory reads, as the chart rendered it."""
    return json.loads(find(manifests, "ConfigMap", "-pod-template")["data"]["pod-settings.json"])


def pod_template(manifests: Manifests) -> dict[str, Any]:
    """The Pod of ``pod_template.yaml`` (a KubernetesPodOperator pod_template_file)."""
    name = find(manifests, "ConfigMap", "-pod-template")["metadata"]["name"]
    return helm_check.embedded_pods(manifests)[f"{name}/pod_template.yaml"]


def values_file(tmp_path: Path, values: dict) -> Path:
    """``values`` written as a values file under ``tmp_path``."""
    path = tmp_path / "values.yaml"
    path.write_text(yaml.safe_dump(values))
    return path

"""Lint, render and validate the Helm chart with no cluster and no helm binary.

Helm itself runs through helm-sdkpy (Helm's Go library behind cffi). Its ``Lint`` reads
only the chart's own values.yaml and reports severities and file paths without the
messages, so a values file is linted by overlaying it on a copy of the chart, and an
error is explained by the message of a render. It has no client-only render either:
``render`` runs ``Install`` against the stand-in API server of ``kube_stub`` and reads
the manifest from the release. Every rendered object, and every Pod manifest a
ConfigMap carries, is then checked against the Kubernetes schemas of kubernetes-validate.

    python scripts/helm_check.py charts/upgradeflow [VALUES.yaml ...]
"""

from __future__ import annotations

import asyncio
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import kubernetes_validate
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from kube_stub import stub_cluster

KUBE_VERSION = "1.32.0"
SEVERITIES = {0: "UNKNOWN", 1: "INFO", 2: "WARNING", 3: "ERROR"}


@dataclass(frozen=True)
class Finding:
    severity: str
    path: str
    message: str = ""

    def __str__(self) -> str:
        return f"[{self.severity}] {self.path}{': ' + self.message if self.message else ''}"


def merge_values(base: dict, override: dict) -> dict:
    """Helm's merge of a values file over the chart's: maps merge, null removes, the rest replaces."""
    merged = dict(base)
    for key, value in override.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge_values(merged[key], value)
        else:
            merged[key] = value
    return merged


def load_values(values_file: Path | None) -> dict[str, Any]:
    if values_file is None:
        return {}
    return yaml.safe_load(Path(values_file).read_text()) or {}


def lint(chart: Path, values_file: Path | None = None) -> list[Finding]:
    """``helm lint`` with ``values_file`` over the chart's defaults; errors carry Helm's render message."""
    from helm_sdkpy import Configuration, Lint

    with tempfile.TemporaryDirectory(prefix="helm-lint-") as tmp:
        target = Path(chart)
        if values_file is not None:
            target = Path(tmp) / Path(chart).name
            shutil.copytree(chart, target)
            defaults = yaml.safe_load((target / "values.yaml").read_text()) or {}
            merged = merge_values(defaults, load_values(values_file))
            (target / "values.yaml").write_text(yaml.safe_dump(merged, sort_keys=False))
        result = asyncio.run(Lint(Configuration()).run(str(target)))
    findings = [Finding(SEVERITIES.get(m["Severity"], "UNKNOWN"), m["Path"]) for m in result.get("Messages") or []]
    if any(f.severity == "ERROR" for f in findings):
        try:
            render(chart, values_file)
        except Exception as error:  # the explanation the lint result lacks
            findings.append(Finding("ERROR", "render", str(error)))
    return findings


def render(
    chart: Path,
    values_file: Path | None = None,
    *,
    release: str = "upgradeflow",
    namespace: str = "upgradeflow",
    kube_version: str = KUBE_VERSION,
) -> list[dict[str, Any]]:
    """The chart's objects as Helm renders them for ``values_file`` (raises helm_sdkpy.HelmError)."""
    from helm_sdkpy import Configuration, Install

    values = load_values(values_file)
    with stub_cluster(kube_version, namespace) as kubeconfig:
        config = Configuration(namespace=namespace, kubeconfig=kubeconfig)
        installed = asyncio.run(Install(config).run(release, str(chart), values or None, wait=False, timeout=60))
    return [doc for doc in yaml.safe_load_all(installed["manifest"]) if doc]


def embedded_pods(manifests: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Pod manifests carried in ConfigMaps (pod template files), keyed ``configmap/key``."""
    pods = {}
    for doc in manifests:
        if doc.get("kind") != "ConfigMap":
            continue
        for key, text in (doc.get("data") or {}).items():
            if key.endswith((".yaml", ".yml")):
                parsed = yaml.safe_load(text)
                if isinstance(parsed, dict) and parsed.get("kind") == "Pod":
                    pods[f"{doc['metadata']['name']}/{key}"] = parsed
    return pods


def validate(manifests: list[dict[str, Any]], kube_version: str = KUBE_VERSION) -> list[str]:
    """Schema problems (strict: unknown fields count), one line per invalid object; empty when all pass."""
    problems = []
    for doc in manifests:
        try:
            kubernetes_validate.validate(doc, kube_version, strict=True)
        except (kubernetes_validate.ValidationError, kubernetes_validate.SchemaNotFoundError) as error:
            name = doc.get("metadata", {}).get("name", "?")
            problems.append(f"{doc.get('kind')}/{name}: {getattr(error, 'message', error)}")
    return problems


def check(chart: Path, values_file: Path | None = None) -> list[str]:
    """Everything wrong with the chart for one values file, as printable lines."""
    label = values_file or "default values"
    problems = []
    for finding in lint(chart, values_file):
        print(f"lint ({label}): {finding}")
        if finding.severity == "ERROR":
            problems.append(f"lint ({label}): {finding}")
    if problems:
        return problems
    manifests = render(chart, values_file)
    pods = embedded_pods(manifests)
    problems += [f"{label}: {p}" for p in validate(manifests)]
    problems += [f"{label}: {name}: {p}" for name, doc in pods.items() for p in validate([doc])]
    kinds = ", ".join(f"{d['kind']}/{d['metadata']['name']}" for d in manifests)
    print(f"rendered ({label}): {kinds}; pod templates: {', '.join(pods) or 'none'}")
    return problems


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    chart, values_files = Path(argv[0]), [Path(v) for v in argv[1:]]
    problems = [p for values_file in [None, *values_files] for p in check(chart, values_file)]
    for problem in problems:
        print(f"FAIL {problem}", file=sys.stderr)
    print(f"helm_check: {'FAILED' if problems else 'ok'} ({chart}, Kubernetes {KUBE_VERSION})")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

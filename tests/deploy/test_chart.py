"""The Helm chart, linted and rendered by Helm's own library with no cluster, and every
object it renders (the Pod inside the pod-template ConfigMap included) checked against
the Kubernetes schemas."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.deploy._chart import CHART, PRODUCTION, find, helm_check, pod_settings, pod_template, values_file

VALUES = {"default": None, "production": PRODUCTION}
POD_SETTINGS_KEYS = {
    "image", "imagePullPolicy", "namespace", "serviceAccountName", "resources", "gpu",
    "nodeSelector", "tolerations", "configMap", "secrets", "inCluster",
}  # fmt: skip


@pytest.mark.parametrize("values", VALUES.values(), ids=VALUES.keys())
def test_lint_passes(values: Path | None) -> None:
    findings = helm_check.lint(CHART, values)
    assert not [f for f in findings if f.severity in ("ERROR", "WARNING")], [str(f) for f in findings]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"steps": {"gpu": -1}}, "/steps/gpu"),
        ({"replicas": 2}, "additional properties 'replicas' not allowed"),
        ({"steps": {"resources": {"limits": {"cpu": 4}}}}, "/steps/resources/limits/cpu"),
        ({"settings": {"UPGRADEFLOW_STORE": "/var/data/store"}}, "/settings/UPGRADEFLOW_STORE"),
        ({"image": {"pullPolicy": "Sometimes"}}, "/image/pullPolicy"),
    ],
    ids=["negative-gpu", "unknown-key", "unquoted-quantity", "non-s3-store", "pull-policy"],
)
def test_lint_rejects_values_outside_the_schema(tmp_path: Path, values: dict, message: str) -> None:
    findings = helm_check.lint(CHART, values_file(tmp_path, values))
    errors = [str(f) for f in findings if f.severity == "ERROR"]
    assert errors, [str(f) for f in findings]
    assert any(message in e for e in errors), errors


@pytest.mark.parametrize("values", VALUES.values(), ids=VALUES.keys())
def test_rendered_objects_are_valid_kubernetes(rendered, values: Path | None) -> None:
    manifests = rendered(values)
    kinds = sorted(d["kind"] for d in manifests)
    token = ["Secret"] if values is None else []  # production names its own token Secret
    assert kinds == sorted(
        ["ConfigMap", "ConfigMap", "Deployment", "Role", "RoleBinding", "Service", "ServiceAccount", *token]
    )
    assert helm_check.validate(manifests) == []
    assert helm_check.validate([pod_template(manifests)]) == []


def test_validation_catches_an_invalid_object() -> None:
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{"name": "c"}]}}
    pod["spec"]["containers"][0]["resource"] = {}  # misspelt: strict schemas reject unknown fields
    assert helm_check.validate([pod])


@pytest.mark.parametrize(("values", "gpus"), [(None, None), (PRODUCTION, "1")], ids=VALUES.keys())
def test_pod_template_matches_pod_settings(rendered, values: Path | None, gpus: str | None) -> None:
    manifests = rendered(values)
    settings, pod = pod_settings(manifests), pod_template(manifests)
    assert set(settings) == POD_SETTINGS_KEYS
    (container,) = pod["spec"]["containers"]
    assert container["name"] == "base"  # the container KubernetesPodOperator fills in
    assert (
        container["image"] == settings["image"] and pod["spec"]["serviceAccountName"] == settings["serviceAccountName"]
    )
    assert container["resources"]["limits"].get("nvidia.com/gpu") == gpus
    assert settings["gpu"] == int(gpus or 0)
    limits = {k: v for k, v in container["resources"]["limits"].items() if k != "nvidia.com/gpu"}
    assert limits == settings["resources"]["limits"]
    assert container["resources"]["requests"] == settings["resources"]["requests"]
    assert container["envFrom"] == [
        {"configMapRef": {"name": settings["configMap"]}},
        *({"secretRef": {"name": s}} for s in settings["secrets"]),
    ]
    assert pod["spec"]["securityContext"]["runAsNonRoot"] and pod["spec"]["securityContext"]["runAsUser"] == 10001
    assert pod["spec"].get("nodeSelector", {}) == settings["nodeSelector"]
    assert pod["spec"].get("tolerations", []) == settings["tolerations"]


def test_settings_configmap_holds_only_step_environment(rendered) -> None:
    default, production = (find(rendered(v), "ConfigMap", "-settings")["data"] for v in VALUES.values())
    assert default == {
        "UPGRADEFLOW_STORE": "s3://upgradeflow/prod",
        "AWS_DEFAULT_REGION": "us-east-1",
        "MLFLOW_TRACKING_URI": "http://mlflow:5000",
    }  # empty values left out
    assert production["AWS_ENDPOINT_URL"].startswith("https://") and production["UPGRADEFLOW_THREADS"] == "8"
    assert all(key.isidentifier() for key in production)  # every key is a valid env var name


def test_rbac_lets_the_airflow_worker_launch_step_pods(rendered, tmp_path: Path) -> None:
    manifests = rendered(None)
    rules = {(r["resources"][0], verb) for r in find(manifests, "Role")["rules"] for verb in r["verbs"]}
    for needed in [("pods", "create"), ("pods", "watch"), ("pods", "delete"), ("pods/log", "get")]:
        assert needed in rules
    assert {("pods/exec", "create"), ("pods/exec", "get"), ("events", "list")} <= rules
    binding = find(manifests, "RoleBinding")
    assert binding["roleRef"]["name"] == find(manifests, "Role")["metadata"]["name"]
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "airflow-worker", "namespace": "upgradeflow"}]
    elsewhere = helm_check.render(CHART, values_file(tmp_path, {"airflow": {"namespace": "airflow"}}))
    assert find(elsewhere, "RoleBinding")["subjects"][0]["namespace"] == "airflow"


def test_switches_leave_objects_out(tmp_path: Path) -> None:
    values = {
        "serviceAccount": {"create": False, "name": "existing"},
        "rbac": {"create": False},
        "serve": {"enabled": False},
    }
    manifests = helm_check.render(CHART, values_file(tmp_path, values))
    assert sorted(d["kind"] for d in manifests) == ["ConfigMap", "ConfigMap"]
    assert pod_settings(manifests)["serviceAccountName"] == "existing"

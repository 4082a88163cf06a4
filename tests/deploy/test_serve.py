"""The query service (``upgradeflow serve``) as the chart deploys it: a Deployment and a
Service behind serve.enabled, probes on the health endpoints of the container's port, the
steps' storage root, settings and credentials, a bearer token always (from a Secret the
chart generates, or one named in the values), and values outside the schema refused by
lint."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest

from tests.deploy._chart import CHART, PRODUCTION, Manifests, find, helm_check, pod_template, values_file

VALUES = {"default": None, "production": PRODUCTION}
TOKEN_ENV = "UPGRADEFLOW_SERVE_TOKEN"


def serve_objects(manifests: Manifests) -> list[dict[str, Any]]:
    return [d for d in manifests if d["metadata"]["name"].endswith("-serve")]


def container(deployment: dict[str, Any]) -> dict[str, Any]:
    (only,) = deployment["spec"]["template"]["spec"]["containers"]
    return only


def container_port(spec: dict[str, Any], port: int | str) -> int:
    """What a probe's or a Service's port names: a number, or a port of the container by name."""
    if isinstance(port, int):
        return port
    (match,) = [p["containerPort"] for p in spec.get("ports", []) if p["name"] == port]
    return match


def flag(command: list[str], name: str) -> str | None:
    return command[command.index(name) + 1] if name in command else None


def render(tmp_path: Path, values: dict) -> Manifests:
    return helm_check.render(CHART, values_file(tmp_path, values))


@pytest.mark.parametrize("values", VALUES.values(), ids=VALUES.keys())
def test_deployment_and_service_when_enabled(rendered, values: Path | None) -> None:
    manifests = rendered(values)
    assert sorted(d["kind"] for d in serve_objects(manifests)) == ["Deployment", "Service"]
    assert helm_check.validate(serve_objects(manifests)) == []


def test_nothing_of_the_service_when_disabled(rendered, tmp_path: Path) -> None:
    manifests = render(tmp_path, {"serve": {"enabled": False}})
    assert serve_objects(manifests) == []
    assert not [d for d in manifests if d["kind"] in ("Deployment", "Service")]
    assert len(manifests) == len(rendered(None)) - 3  # Deployment, Service, token Secret; the steps' objects stay


@pytest.mark.parametrize(("values", "port"), [(None, 8000), ({"serve": {"port": 9000}}, 9000)], ids=["8000", "9000"])
def test_probes_and_service_use_the_container_port(tmp_path: Path, values: dict | None, port: int) -> None:
    manifests = render(tmp_path, values or {})
    deployment, service = find(manifests, "Deployment", "-serve"), find(manifests, "Service", "-serve")
    serve = container(deployment)
    assert [(p["name"], p["containerPort"]) for p in serve["ports"]] == [("http", port)]
    for probe, path in [("livenessProbe", "/healthz"), ("readinessProbe", "/readyz"), ("startupProbe", "/healthz")]:
        get = serve[probe]["httpGet"]
        assert get["path"] == path, probe
        assert container_port(serve, get["port"]) == port, probe
        assert serve[probe]["periodSeconds"] > 0 and serve[probe]["timeoutSeconds"] < serve[probe]["periodSeconds"]
    assert serve["readinessProbe"]["failureThreshold"] >= 1 and serve["livenessProbe"]["failureThreshold"] >= 3
    ((service_port,),) = [service["spec"]["ports"]]
    assert service_port["port"] == port
    assert container_port(serve, service_port["targetPort"]) == port
    assert service["spec"]["type"] == "ClusterIP"
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]
    assert service["spec"]["selector"].items() <= pod_labels.items()
    assert service["spec"]["selector"]["app.kubernetes.io/component"] == "serve"  # not the step pods
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert annotations["prometheus.io/port"] == str(port)
    assert annotations["prometheus.io/path"] == "/metrics"
    assert flag(serve["command"], "--port") == str(port)


@pytest.mark.parametrize("values", VALUES.values(), ids=VALUES.keys())
def test_command_reads_the_steps_storage_root(rendered, values: Path | None) -> None:
    manifests = rendered(values)
    command = container(find(manifests, "Deployment", "-serve"))["command"]
    store = find(manifests, "ConfigMap", "-settings")["data"]["UPGRADEFLOW_STORE"]
    assert command[:6] == ["upgradeflow", "serve", "--root", store, "--host", "0.0.0.0"]
    assert {name: flag(command, name) for name in command if name.startswith("--")} == {
        "--root": store,
        "--host": "0.0.0.0",
        "--port": "8000",
        "--gallery": "glyphs",
        "--index": "glyphs",
        "--poll-seconds": "2",
        "--max-k": "1000",
        "--max-batch": "64",
        "--max-body-bytes": "1048576",
    }  # no --model unless serve.model is set


def test_command_carries_the_options(tmp_path: Path) -> None:
    values = {
        "serve": {
            "gallery": "faces",
            "index": "faces-hnsw",
            "pollSeconds": 0.5,
            "model": "models:/upgradeflow@champion",
            "maxK": 50,
            "maxBatch": 8,
            "maxBodyBytes": 16777216,  # a float in Helm: must still print as an integer
        }
    }
    command = container(find(render(tmp_path, values), "Deployment", "-serve"))["command"]
    assert flag(command, "--gallery") == "faces" and flag(command, "--index") == "faces-hnsw"
    assert flag(command, "--poll-seconds") == "0.5"
    assert flag(command, "--model") == "models:/upgradeflow@champion"
    assert (flag(command, "--max-k"), flag(command, "--max-batch")) == ("50", "8")
    assert flag(command, "--max-body-bytes") == "16777216"


def test_a_service_without_a_storage_root_fails_to_render(tmp_path: Path) -> None:
    with pytest.raises(Exception, match=r"settings\.UPGRADEFLOW_STORE"):
        render(tmp_path, {"settings": {"UPGRADEFLOW_STORE": None}})


@pytest.mark.parametrize("values", VALUES.values(), ids=VALUES.keys())
def test_pods_get_the_steps_settings_and_credentials(rendered, values: Path | None) -> None:
    manifests = rendered(values)
    deployment = find(manifests, "Deployment", "-serve")
    spec, step = deployment["spec"]["template"]["spec"], pod_template(manifests)
    assert container(deployment)["envFrom"] == step["spec"]["containers"][0]["envFrom"]
    assert spec["serviceAccountName"] == step["spec"]["serviceAccountName"]
    assert spec["automountServiceAccountToken"] is False


def token_source(deployment: dict[str, Any]) -> dict[str, str]:
    """The secretKeyRef the service's bearer token comes from."""
    (token,) = [e for e in container(deployment).get("env", []) if e["name"] == TOKEN_ENV]
    return token["valueFrom"]["secretKeyRef"]


def test_default_values_require_a_token_from_a_generated_secret(rendered) -> None:
    manifests = rendered(None)
    source = token_source(find(manifests, "Deployment", "-serve"))
    secret = find(manifests, "Secret", "-serve-token")
    assert source == {"name": secret["metadata"]["name"], "key": "token"}
    token = base64.b64decode(secret["data"]["token"]).decode()
    assert len(token) >= 32 and token.isalnum()
    assert helm_check.validate([secret]) == []
    assert "--token" not in " ".join(container(find(manifests, "Deployment", "-serve"))["command"])


def test_a_named_secret_replaces_the_generated_one(rendered, tmp_path: Path) -> None:
    values = {"serve": {"token": {"secretName": "search-token", "secretKey": "bearer"}}}
    configured = render(tmp_path, values)
    assert token_source(find(configured, "Deployment", "-serve")) == {"name": "search-token", "key": "bearer"}
    assert not [d for d in configured if d["kind"] == "Secret"]  # the chart creates none
    production = rendered(PRODUCTION)
    assert token_source(find(production, "Deployment", "-serve"))["name"] == "upgradeflow-serve-token"
    assert not [d for d in production if d["kind"] == "Secret"]


def test_no_token_secret_without_the_service(tmp_path: Path) -> None:
    assert not [d for d in render(tmp_path, {"serve": {"enabled": False}}) if d["kind"] == "Secret"]


@pytest.mark.parametrize("values", VALUES.values(), ids=VALUES.keys())
def test_runs_unprivileged_on_a_read_only_root(rendered, values: Path | None) -> None:
    deployment = find(rendered(values), "Deployment", "-serve")
    spec, serve = deployment["spec"]["template"]["spec"], container(deployment)
    assert spec["securityContext"]["runAsNonRoot"] and spec["securityContext"]["runAsUser"] == 10001
    assert serve["securityContext"]["readOnlyRootFilesystem"] is True
    assert serve["securityContext"]["allowPrivilegeEscalation"] is False
    assert serve["securityContext"]["capabilities"]["drop"] == ["ALL"]
    (mount,) = [m for m in serve["volumeMounts"] if m["mountPath"] == "/tmp"]
    (volume,) = [v for v in spec["volumes"] if v["name"] == mount["name"]]
    assert "emptyDir" in volume


def test_production_runs_two_cpu_replicas(rendered) -> None:
    manifests = rendered(PRODUCTION)
    deployment = find(manifests, "Deployment", "-serve")
    assert deployment["spec"]["replicas"] == 2
    serve, step = container(deployment), pod_template(manifests)["spec"]
    assert serve["image"].rsplit(":", 1) == [step["containers"][0]["image"].rsplit(":", 1)[0], "0.1.0"]
    assert "nvidia.com/gpu" not in serve["resources"].get("limits", {})
    assert "tolerations" not in deployment["spec"]["template"]["spec"]  # not on the GPU nodes


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"serve": {"replicas": -1}}, "/serve/replicas"),
        ({"serve": {"port": "8000"}}, "/serve/port"),
        ({"serve": {"port": 80}}, "/serve/port"),
        ({"serve": {"pollSeconds": 0}}, "/serve/pollSeconds"),
        ({"serve": {"gallery": "a/b"}}, "/serve/gallery"),
        ({"serve": {"token": {"secretName": "Token_Secret"}}}, "/serve/token/secretName"),
        ({"serve": {"service": {"type": "External"}}}, "/serve/service/type"),
        ({"serve": {"replica": 2}}, "additional properties 'replica' not allowed"),
    ],
    ids=[
        "negative-replicas", "port-as-string", "privileged-port", "zero-poll", "gallery-name", "secret-name",
        "service-type", "unknown-key",
    ],
)  # fmt: skip
def test_lint_rejects_serve_values_outside_the_schema(tmp_path: Path, values: dict, message: str) -> None:
    findings = helm_check.lint(CHART, values_file(tmp_path, values))
    errors = [str(f) for f in findings if f.severity == "ERROR"]
    assert errors, [str(f) for f in findings]
    assert any(message in e for e in errors), errors

"""A stand-in Kubernetes API server, so that Helm can render a chart with no cluster.

helm-sdkpy exposes no ``helm template`` and no client-only dry run: its ``Install`` always
checks that the cluster is reachable, discovers its API groups, looks for existing
objects, then creates them and stores the release. This server answers just enough of
that on 127.0.0.1: the version, the discovery documents of the usual built-in groups,
"not found" for every read and an echo of every create or update. The release that
``Install`` returns then carries the manifest Helm rendered, byte for byte. Nothing is
kept; a kind the table below does not list fails as it would on a cluster without it.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# group/version -> (resource, kind, namespaced)
RESOURCES: dict[str, list[tuple[str, str, bool]]] = {
    "v1": [
        ("pods", "Pod", True),
        ("configmaps", "ConfigMap", True),
        ("secrets", "Secret", True),
        ("serviceaccounts", "ServiceAccount", True),
        ("services", "Service", True),
        ("events", "Event", True),
        ("persistentvolumeclaims", "PersistentVolumeClaim", True),
        ("namespaces", "Namespace", False),
    ],
    "rbac.authorization.k8s.io/v1": [
        ("roles", "Role", True),
        ("rolebindings", "RoleBinding", True),
        ("clusterroles", "ClusterRole", False),
        ("clusterrolebindings", "ClusterRoleBinding", False),
    ],
    "apps/v1": [("deployments", "Deployment", True), ("statefulsets", "StatefulSet", True)],
    "batch/v1": [("jobs", "Job", True), ("cronjobs", "CronJob", True)],
    "policy/v1": [("poddisruptionbudgets", "PodDisruptionBudget", True)],
    "networking.k8s.io/v1": [("networkpolicies", "NetworkPolicy", True), ("ingresses", "Ingress", True)],
    "autoscaling/v2": [("horizontalpodautoscalers", "HorizontalPodAutoscaler", True)],
}
VERBS = ["create", "delete", "get", "list", "patch", "update", "watch"]


def _discovery(kube_version: str) -> dict[str, dict]:
    major, minor, *_ = kube_version.split(".")
    groups = [gv for gv in RESOURCES if "/" in gv]
    documents = {
        "/version": {"major": major, "minor": minor, "gitVersion": f"v{kube_version}", "platform": "linux/amd64"},
        "/api": {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []},
        "/apis": {
            "kind": "APIGroupList",
            "apiVersion": "v1",
            "groups": [
                {
                    "name": gv.split("/")[0],
                    "versions": [{"groupVersion": gv, "version": gv.split("/")[1]}],
                    "preferredVersion": {"groupVersion": gv, "version": gv.split("/")[1]},
                }
                for gv in groups
            ],
        },
    }
    for gv, resources in RESOURCES.items():
        path = "/api/v1" if gv == "v1" else f"/apis/{gv}"
        documents[path] = {
            "kind": "APIResourceList",
            "apiVersion": "v1",
            "groupVersion": gv,
            "resources": [
                {"name": name, "singularName": "", "namespaced": namespaced, "kind": kind, "verbs": VERBS}
                for name, kind, namespaced in resources
            ],
        }
    return documents


def _handler(documents: dict[str, dict]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # quiet: Helm's calls are expected
            pass

        def _reply(self, code: int, body: bytes, content_type: str) -> None:
            self.send_response(code)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            document = documents.get(self.path.split("?", 1)[0])
            if document is not None:
                self._reply(200, json.dumps(document).encode(), "application/json")
                return
            status = {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound", "code": 404}
            self._reply(404, json.dumps(status).encode(), "application/json")

        def _echo(self, code: int) -> None:
            # The object as sent (JSON or protobuf) is what a server would return.
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self._reply(code, body, self.headers.get("Content-Type", "application/json"))

        def do_POST(self) -> None:
            self._echo(201)

        def do_PUT(self) -> None:
            self._echo(200)

    return Handler


@contextmanager
def stub_cluster(kube_version: str = "1.32.0", namespace: str = "default") -> Iterator[str]:
    """Serve the stand-in API while the block runs; yields a kubeconfig (YAML text) for it."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(_discovery(kube_version)))
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), name="kube-stub", daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    try:
        yield (
            "apiVersion: v1\nkind: Config\n"
            f"clusters: [{{name: stub, cluster: {{server: 'http://{host}:{port}'}}}}]\n"
            "users: [{name: stub, user: {token: stub}}]\n"
            f"contexts: [{{name: stub, context: {{cluster: stub, user: stub, namespace: {namespace}}}}}]\n"
            "current-context: stub\n"
        )
    finally:
        server.shutdown()
        server.server_close()
        thread.join()

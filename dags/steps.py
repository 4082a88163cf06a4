"""The one factory that turns a pipeline step into an Airflow task.

``UPGRADEFLOW_STEP_MODE=local`` (the default: ``airflow standalone``, ``dags test``)
runs ``tasks.<step>`` in the worker process; ``kubernetes`` launches the task image
with the same command line through ``KubernetesPodOperator``, configured from the JSON
that the Helm chart's ConfigMap provides (``UPGRADEFLOW_POD_SETTINGS``). DAG files
never change between the two. Nothing here imports torch.
"""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path
from typing import Any

from airflow.sdk import task

MODE_ENV = "UPGRADEFLOW_STEP_MODE"
POD_SETTINGS_ENV = "UPGRADEFLOW_POD_SETTINGS"
XCOM_FILE = "/airflow/xcom/return.json"
MODES = ("local", "kubernetes")


def step_mode() -> str:
    mode = os.environ.get(MODE_ENV, "local")
    if mode not in MODES:
        raise ValueError(f"{MODE_ENV}={mode!r}: choose from {', '.join(MODES)}")
    return mode


def default_args() -> dict[str, Any]:
    """Retries for transient failures; a gate failure or bad input is never retried."""
    return {
        "retries": int(os.environ.get("UPGRADEFLOW_RETRIES", "2")),
        "retry_delay": timedelta(seconds=float(os.environ.get("UPGRADEFLOW_RETRY_DELAY_S", "30"))),
    }


def pod_settings() -> dict[str, Any]:
    path = os.environ.get(POD_SETTINGS_ENV)
    if not path:
        raise ValueError(f"{MODE_ENV}=kubernetes needs {POD_SETTINGS_ENV} (the chart's pod-settings.json)")
    return json.loads(Path(path).read_text())


def lane_arguments(lane: dict) -> list[str]:
    """A mapped instance's own arguments: the shards of its lane."""
    return ["--shards", lane["shards"]]


def step(name: str, arguments: list[str], **task_kwargs: Any):
    """``tasks.<name>`` with templated ``arguments``; returns its XCom (the step's JSON)."""
    if step_mode() == "kubernetes":
        from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator

        return KubernetesPodOperator(cmds=_command(name, arguments), **_pod_kwargs(name, **task_kwargs)).output
    return _in_process(name, **task_kwargs)(arguments)


def mapped_step(name: str, arguments: list[str], lanes, **task_kwargs: Any):
    """One instance per lane of shards from ``lanes`` (a plan step's XCom), named by them."""
    lane_args = lanes.map(lane_arguments)
    if step_mode() == "kubernetes":
        from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator

        kwargs = _pod_kwargs(name, map_index_template="shards {{ task.arguments[1] }}", **task_kwargs)
        return KubernetesPodOperator.partial(cmds=_command(name, arguments), **kwargs).expand(arguments=lane_args)
    runner = _in_process(name, map_index_template="shards {{ task.op_kwargs['lane'][1] }}", **task_kwargs)
    return runner.partial(arguments=arguments).expand(lane=lane_args)


def _toleration(spec: dict[str, Any]):
    """A toleration as the chart writes it (Kubernetes' camelCase keys)."""
    from kubernetes.client import models as k8s

    return k8s.V1Toleration(
        key=spec.get("key"),
        operator=spec.get("operator"),
        value=spec.get("value"),
        effect=spec.get("effect"),
        toleration_seconds=spec.get("tolerationSeconds"),
    )


def _command(name: str, arguments: list[str]) -> list[str]:
    return ["python", "-m", f"tasks.{name}", *arguments]


def _in_process(name: str, **task_kwargs: Any):
    @task(task_id=task_kwargs.pop("task_id", name), **task_kwargs)
    def run_step(arguments: list[str], lane: list[str] | None = None) -> Any:
        import importlib

        from airflow.exceptions import AirflowFailException

        from tasks._step import execute
        from upgradeflow.errors import UserInputError
        from upgradeflow.upgrade.gate import GateFailed

        module = importlib.import_module(f"tasks.{name}")
        argv = [*arguments, *(lane or [])]
        print(f"python -m tasks.{name} {' '.join(argv)}")
        try:
            return execute(module.build_parser(), module.work, argv)
        except (GateFailed, UserInputError) as error:  # retrying cannot help
            raise AirflowFailException(f"tasks.{name}: {error}") from error

    return run_step


def _pod_kwargs(name: str, **task_kwargs: Any) -> dict[str, Any]:
    """A ``KubernetesPodOperator`` running ``python -m tasks.<name>`` in the task image."""
    from kubernetes.client import models as k8s

    settings = pod_settings()
    limits = dict(settings["resources"].get("limits", {}))
    if settings.get("gpu"):
        limits["nvidia.com/gpu"] = str(settings["gpu"])
    env_from = [k8s.V1EnvFromSource(config_map_ref=k8s.V1ConfigMapEnvSource(name=settings["configMap"]))]
    env_from += [k8s.V1EnvFromSource(secret_ref=k8s.V1SecretEnvSource(name=s)) for s in settings.get("secrets", [])]
    task_id = task_kwargs.pop("task_id", name)
    return {
        "task_id": task_id,
        "name": f"upgradeflow-{task_id.replace('_', '-')}",
        "namespace": settings["namespace"],
        "image": settings["image"],
        "image_pull_policy": settings.get("imagePullPolicy", "IfNotPresent"),
        "service_account_name": settings["serviceAccountName"],
        "container_resources": k8s.V1ResourceRequirements(
            requests=settings["resources"].get("requests", {}), limits=limits
        ),
        "env_from": env_from,
        "env_vars": {"UPGRADEFLOW_RESULT_FILE": XCOM_FILE},
        "labels": {"app.kubernetes.io/part-of": "upgradeflow", "upgradeflow/step": name.replace("_", "-")},
        "node_selector": settings.get("nodeSelector") or None,
        "tolerations": [_toleration(t) for t in settings.get("tolerations", [])] or None,
        "security_context": k8s.V1PodSecurityContext(run_as_non_root=True, run_as_user=10001, fs_group=10001),
        "do_xcom_push": True,
        "get_logs": True,
        "on_finish_action": "delete_succeeded_pod",
        "in_cluster": settings.get("inCluster", True),
        **task_kwargs,
    }

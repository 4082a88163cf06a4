"""Parse the DAG files in kubernetes mode and print, as JSON, the pods they would launch.

Run in a fresh process (``python dag_pods.py DAGS_FOLDER``) with ``UPGRADEFLOW_STEP_MODE``,
``UPGRADEFLOW_POD_SETTINGS`` and ``AIRFLOW_HOME`` set: Airflow reads its configuration
once, at import, and the step mode is read when the DAG files are parsed. Nothing here
needs a cluster or Airflow's database: ``build_pod_request_obj(dry_run=True)`` is the
pod ``KubernetesPodOperator`` sends, less the labels of a task instance.
"""

from __future__ import annotations

import json
import sys
from typing import Any

# The fields of a mapped operator's partial that make up its pod.
POD_FIELDS = (
    "image", "image_pull_policy", "namespace", "service_account_name", "container_resources",
    "env_from", "env_vars", "cmds", "node_selector", "tolerations",
)  # fmt: skip


def main() -> None:
    from airflow.dag_processing.dagbag import DagBag
    from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator
    from kubernetes.client import ApiClient

    serialize = ApiClient().sanitize_for_serialization
    bag = DagBag(sys.argv[1])
    pods: dict[str, dict[str, Any]] = {}
    mapped: dict[str, dict[str, Any]] = {}
    other: list[str] = []
    for dag_id, dag in bag.dags.items():
        for task in dag.tasks:
            name = f"{dag_id}.{task.task_id}"
            if isinstance(task, KubernetesPodOperator):
                pods[name] = serialize(task.build_pod_request_obj(dry_run=True))
            elif getattr(task, "operator_class", None) is KubernetesPodOperator:
                mapped[name] = {f: serialize(task.partial_kwargs.get(f)) for f in POD_FIELDS}
            else:
                other.append(name)
    errors = {path: str(error) for path, error in bag.import_errors.items()}
    print(json.dumps({"import_errors": errors, "pods": pods, "mapped": mapped, "other": other}))


if __name__ == "__main__":
    main()

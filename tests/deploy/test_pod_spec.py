"""The pods the DAGs launch in kubernetes mode are the pods the chart describes.

The chart is rendered, its ``pod-settings.json`` handed to the DAG files as the Airflow
workers get it (``UPGRADEFLOW_POD_SETTINGS``), and every ``KubernetesPodOperator`` the
DAGs hold builds its pod without a cluster; image, service account, namespace,
resources (GPU included), environment sources and command must match what was rendered.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.deploy._chart import PRODUCTION, ROOT, find, helm_check, pod_settings, pod_template

DAGS = ROOT / "dags"
# Task ids that are not their module's name: the lease's two ends run one module.
TASK_MODULES = {"take_lease": "lease", "release_lease": "lease"}
VALUES = {"default": None, "production": PRODUCTION}


@pytest.fixture(scope="module", params=VALUES.values(), ids=VALUES.keys())
def launch(request, rendered, tmp_path_factory) -> dict[str, Any]:
    """The rendered chart and the pods the DAG files build from its pod settings."""
    manifests = rendered(request.param)
    home = tmp_path_factory.mktemp("airflow")
    settings_file = home / "pod-settings.json"
    settings_file.write_text(find(manifests, "ConfigMap", "-pod-template")["data"]["pod-settings.json"])
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "UPGRADEFLOW_STEP_MODE": "kubernetes",
        "UPGRADEFLOW_POD_SETTINGS": str(settings_file),
    }
    process = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("dag_pods.py")), str(DAGS)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert process.returncode == 0, process.stderr[-3000:]
    dags = json.loads(process.stdout.strip().splitlines()[-1])
    return {"manifests": manifests, "settings": pod_settings(manifests), **dags}


def step_container(pod: dict[str, Any]) -> dict[str, Any]:
    (container,) = [c for c in pod["spec"]["containers"] if c["name"] == "base"]
    return container


def expected_limits(settings: dict[str, Any]) -> dict[str, str]:
    gpu = {"nvidia.com/gpu": str(settings["gpu"])} if settings["gpu"] else {}
    return {**settings["resources"]["limits"], **gpu}


def test_dags_parse_into_pod_operators_only(launch) -> None:
    assert launch["import_errors"] == {}
    assert launch["other"] == []  # every step is a pod in kubernetes mode
    assert "model_upgrade.train_new_model" in launch["pods"]
    assert "model_upgrade.evolve_shard" in launch["mapped"]


def test_train_new_model_pod_matches_the_chart(launch) -> None:
    settings, manifests = launch["settings"], launch["manifests"]
    pod = launch["pods"]["model_upgrade.train_new_model"]
    container = step_container(pod)
    assert container["image"] == settings["image"] == step_container(pod_template(manifests))["image"]
    assert container["imagePullPolicy"] == settings["imagePullPolicy"]
    assert pod["metadata"]["namespace"] == settings["namespace"] == find(manifests, "Role")["metadata"]["namespace"]
    assert pod["spec"]["serviceAccountName"] == find(manifests, "ServiceAccount")["metadata"]["name"]
    assert container["resources"] == {
        "requests": settings["resources"]["requests"],
        "limits": expected_limits(settings),
    }
    assert container["envFrom"] == [
        {"configMapRef": {"name": find(manifests, "ConfigMap", "-settings")["metadata"]["name"]}},
        {"secretRef": {"name": "upgradeflow-credentials"}},
    ]
    assert container["command"][:3] == ["python", "-m", "tasks.train_new_model"]
    assert (pod["spec"].get("nodeSelector") or {}) == settings["nodeSelector"]
    assert (pod["spec"].get("tolerations") or []) == settings["tolerations"]
    assert helm_check.validate([pod]) == []


def test_dag_pods_agree_with_the_pod_template(launch) -> None:
    """The pod template file and the pods the factory builds ask for the same things."""
    template = step_container(pod_template(launch["manifests"]))
    for name, pod in launch["pods"].items():
        container = step_container(pod)
        assert container["resources"] == template["resources"], name
        assert container["envFrom"] == template["envFrom"], name
        assert pod["spec"]["serviceAccountName"] == pod_template(launch["manifests"])["spec"]["serviceAccountName"]


def test_every_step_runs_its_task_module_in_the_chart_image(launch) -> None:
    settings = launch["settings"]
    for name, pod in launch["pods"].items():
        container = step_container(pod)
        task_id = name.split(".", 1)[1]
        step = TASK_MODULES.get(task_id, task_id)
        assert container["image"] == settings["image"], name
        assert container["command"][:3] == ["python", "-m", f"tasks.{step}"], name
        assert pod["spec"]["serviceAccountName"] == settings["serviceAccountName"], name


def test_mapped_steps_share_the_pod(launch) -> None:
    settings = launch["settings"]
    for name, partial in launch["mapped"].items():
        step = name.split(".", 1)[1]
        assert partial["image"] == settings["image"], name
        assert partial["service_account_name"] == settings["serviceAccountName"], name
        assert partial["namespace"] == settings["namespace"], name
        assert partial["cmds"][:3] == ["python", "-m", f"tasks.{step}"], name
        assert partial["container_resources"]["limits"] == expected_limits(settings), name
        assert partial["env_from"][0]["configMapRef"]["name"] == settings["configMap"], name

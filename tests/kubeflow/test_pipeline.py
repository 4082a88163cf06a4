"""The Kubeflow pipeline runs the steps of the pipeline table, with its run parameters, in
its order: the table the Airflow ``model_upgrade`` DAG is built from too
(``tests/dags/test_dag_parsing.py`` checks that side).

kfp cannot be installed next to Airflow, so the pipeline is compiled by the isolated kfp
environment in a subprocess and the YAML it writes is checked here.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from upgradeflow.upgrade.pipeline import PARAMETERS, STEPS

REPO = Path(__file__).resolve().parents[2]
PIPELINE = REPO / "kubeflow" / "pipeline.py"
KFP_PYTHON_ENV = "UPGRADEFLOW_KFP_PYTHON"
DEFAULT_IMAGE = "upgradeflow:0.1.0"
OTHER_IMAGE = "registry.example.com/upgradeflow:9.9.9"
ORDER = [step.task for step in STEPS]
# Mapped step to the planning step whose lanes it loops over.
MAPPED_STEPS = {step.task: step.lanes for step in STEPS if step.lanes}
PARAMETER_TYPES = {bool: "BOOLEAN", int: "NUMBER_INTEGER", float: "NUMBER_DOUBLE", str: "STRING"}


def kfp_python() -> Path:
    """The isolated kfp environment's interpreter; its absence is a set-up error, not a skip."""
    candidates = [Path(p) for p in (os.environ.get(KFP_PYTHON_ENV),) if p]
    candidates.append(REPO / ".venv-kfp" / "bin" / "python")
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    pytest.fail(
        f"no kfp environment: neither ${KFP_PYTHON_ENV} nor {REPO / '.venv-kfp/bin/python'} exists; "
        "run `. scripts/setup.sh` to create it"
    )


def compile_spec(out_dir: Path, *flags: str) -> dict[str, Any]:
    """Compile the pipeline with ``flags`` in the kfp environment and load its YAML."""
    output = out_dir / "model_upgrade.yaml"
    done = subprocess.run(
        [str(kfp_python()), str(PIPELINE), str(output), *flags],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, f"compile failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
    return yaml.safe_load(output.read_text())


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return compile_spec(tmp_path_factory.mktemp("kfp-default"))


@pytest.fixture(scope="module")
def variant_spec(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("kfp-variant")
    env_file = out / "env.json"
    env_file.write_text(json.dumps({"UPGRADEFLOW_STORE": "s3://upgradeflow/store"}))
    return compile_spec(
        out,
        "--gpu",
        "--image", OTHER_IMAGE,
        "--env-file", str(env_file),
        "--env", "MLFLOW_TRACKING_URI=http://mlflow:5000",
    )  # fmt: skip


# --- the pipeline table both the DAG and the pipeline are built from --------------------


def table_params() -> dict[str, Any]:
    return {parameter.name: parameter.default for parameter in PARAMETERS}


def table_steps() -> dict[str, set[str]]:
    """Step name to the options its command line passes."""
    return {step.task: {token for token in step.arguments if token.startswith("--")} for step in STEPS}


# --- the compiled pipeline -------------------------------------------------------------


def containers(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {label: e["container"] for label, e in spec["deploymentSpec"]["executors"].items()}


def _runs_module(container: dict[str, Any], module: str) -> bool:
    line = [*container.get("command", []), *container.get("args", [])]
    want = ["python", "-m", module]
    return any(line[i : i + 3] == want for i in range(len(line)))


def step_container(spec: dict[str, Any], step: str) -> tuple[str, dict[str, Any]]:
    """The one executor that runs ``python -m tasks.<step>``."""
    found = [(label, c) for label, c in containers(spec).items() if _runs_module(c, f"tasks.{step}")]
    assert len(found) == 1, f"{step}: {len(found)} executors run python -m tasks.{step}"
    return found[0]


def all_tasks(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every task of the pipeline, the root DAG's and those inside loops."""
    tasks = dict(spec["root"]["dag"]["tasks"])
    for component in spec["components"].values():
        tasks.update(component.get("dag", {}).get("tasks", {}))
    return tasks


def exit_handler(spec: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The one root task that is an exit handler: the run's steps, all under the lease."""
    (found,) = [(n, t) for n, t in spec["root"]["dag"]["tasks"].items() if n.startswith("exit-handler")]
    return found


def upgrade_tasks(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The tasks inside the exit handler: where the DAG's steps (and their loops) run."""
    return spec["components"][exit_handler(spec)[1]["componentRef"]["name"]]["dag"]["tasks"]


def step_task(spec: dict[str, Any], step: str) -> tuple[str, dict[str, Any]]:
    label, _ = step_container(spec, step)
    component = next(name for name, c in spec["components"].items() if c.get("executorLabel") == label)
    found = [(name, t) for name, t in all_tasks(spec).items() if t["componentRef"]["name"] == component]
    assert len(found) == 1, f"{step}: {len(found)} tasks use {component}"
    return found[0]


def loop_of(spec: dict[str, Any], step: str) -> tuple[str, dict[str, Any]]:
    """The ParallelFor task (beside the steps) whose body runs ``step``."""
    task_name, _ = step_task(spec, step)
    for name, task in upgrade_tasks(spec).items():
        body = spec["components"][task["componentRef"]["name"]].get("dag", {}).get("tasks", {})
        if task_name in body:
            return name, task
    raise AssertionError(f"{step} runs in no loop")


def root_name(spec: dict[str, Any], step: str) -> str:
    """The task beside the other steps that runs ``step``: the step itself or its loop."""
    return loop_of(spec, step)[0] if step in MAPPED_STEPS else step_task(spec, step)[0]


# --- tests -----------------------------------------------------------------------------


def test_every_step_runs_its_task_module(spec: dict[str, Any]) -> None:
    for step in table_steps():
        _, container = step_container(spec, step)
        assert container["image"] == DEFAULT_IMAGE, step
        # The step writes its JSON result into its kfp output parameter file.
        results = [a for a in container["command"] if a.startswith("UPGRADEFLOW_RESULT_FILE=")]
        assert len(results) == 1, step
        assert results[0].startswith("UPGRADEFLOW_RESULT_FILE={{$.outputs.parameters["), step
        assert results[0].endswith("].output_file}}"), step


def test_every_step_passes_the_tables_options(spec: dict[str, Any]) -> None:
    for step, flags in table_steps().items():
        _, container = step_container(spec, step)
        passed = {a for a in container.get("args", []) if a.startswith("--")}
        assert passed == flags, step


def test_pipeline_parameters_are_the_tables(spec: dict[str, Any]) -> None:
    parameters = spec["root"]["inputDefinitions"]["parameters"]
    params = table_params()
    assert set(parameters) == set(params)
    for name, default in params.items():
        assert parameters[name]["defaultValue"] == default, name
        assert parameters[name]["parameterType"] == PARAMETER_TYPES[type(default)], name


def test_run_key_reaches_every_later_step(spec: dict[str, Any]) -> None:
    train_name, _ = step_task(spec, "train_new_model")
    producers = set()
    for step in table_steps().keys() - {"train_new_model"}:
        _, task = step_task(spec, step)
        run_key = task["inputs"]["parameters"]["run_key"]
        if step in MAPPED_STEPS:  # inside a loop: through the loop's own inputs
            _, loop = loop_of(spec, step)
            run_key = loop["inputs"]["parameters"][run_key["componentInputParameter"]]
        producers.add(run_key["taskOutputParameter"]["producerTask"])
    assert len(producers) == 1
    (producer,) = producers
    source = upgrade_tasks(spec)[producer]
    assert next(iter(source["inputs"]["parameters"].values()))["taskOutputParameter"]["producerTask"] == train_name


def test_lanes_fan_out_in_parallel_loops(spec: dict[str, Any]) -> None:
    for step, planner in MAPPED_STEPS.items():
        plan_name, _ = step_task(spec, planner)
        _, loop = loop_of(spec, step)
        assert loop["iteratorPolicy"]["parallelismLimit"] >= 1, step
        items = loop["parameterIterator"]["items"]["inputParameter"]
        assert loop["inputs"]["parameters"][items]["taskOutputParameter"]["producerTask"] == plan_name, step
        _, task = step_task(spec, step)
        assert '["shards"]' in task["inputs"]["parameters"]["shards"]["parameterExpressionSelector"], step


def test_steps_run_in_the_tables_order(spec: dict[str, Any]) -> None:
    root = upgrade_tasks(spec)
    # train_new_model -> evaluate goes through the run-key task (test_run_key_reaches_every_later_step).
    for before, after in itertools.pairwise(ORDER[1:]):
        assert root_name(spec, before) in root[root_name(spec, after)].get("dependentTasks", []), (before, after)


def test_the_run_holds_the_gallery_lease_from_first_step_to_exit(spec: dict[str, Any]) -> None:
    """As the DAG does: take the lease before training, renew it at each pointer move under
    the same owner, and release it in the exit handler, which runs however the run ends."""
    lease_containers = {c["args"][0]: c for c in containers(spec).values() if _runs_module(c, "tasks.lease")}
    assert set(lease_containers) == {"take", "release"}
    take, release = (lease_containers[action]["args"] for action in ("take", "release"))
    assert "--ttl-s" in take and take[take.index("--gallery") + 1] == release[release.index("--gallery") + 1]

    _, train = step_task(spec, "train_new_model")
    take_name = next(n for n, t in upgrade_tasks(spec).items() if t["componentRef"]["name"] == "comp-take-lease")
    assert take_name in train["dependentTasks"]
    for step in ("commit_evolved", "swap_backfilled"):
        assert "--lease-owner" in step_container(spec, step)[1]["args"], step
    # The owner every lease call names: the same run-time constant, the run's id.
    inputs = [
        task["inputs"]["parameters"]["lease_owner"]
        for name, task in [*upgrade_tasks(spec).items(), *spec["root"]["dag"]["tasks"].items()]
        if name in ("take-lease", "release-lease", "commit-evolved", "swap-backfilled")
    ]
    assert len(inputs) == 4 and all(i == {"runtimeValue": {"constant": "{{$.pipeline_job_uuid}}"}} for i in inputs)
    handler_name, _ = exit_handler(spec)
    release_task = spec["root"]["dag"]["tasks"]["release-lease"]
    assert release_task["triggerPolicy"]["strategy"] == "ALL_UPSTREAM_TASKS_COMPLETED"
    assert release_task["dependentTasks"] == [handler_name]


def test_gpu_only_when_asked_and_only_for_training(spec: dict[str, Any], variant_spec: dict[str, Any]) -> None:
    assert all("accelerator" not in c.get("resources", {}) for c in containers(spec).values())
    for step in table_steps():
        resources = step_container(variant_spec, step)[1].get("resources", {})
        if step == "train_new_model":
            assert resources["accelerator"]["resourceType"] == "nvidia.com/gpu"
            assert str(resources["accelerator"]["resourceCount"]) == "1"
        else:
            assert "accelerator" not in resources, step


def test_image_flag_changes_every_image(variant_spec: dict[str, Any]) -> None:
    images = {c["image"] for c in containers(variant_spec).values()}
    assert images == {OTHER_IMAGE}


def test_settings_become_step_environment(spec: dict[str, Any], variant_spec: dict[str, Any]) -> None:
    for step in table_steps():
        assert "env" not in step_container(spec, step)[1], step
        env = {e["name"]: e["value"] for e in step_container(variant_spec, step)[1]["env"]}
        assert env == {"UPGRADEFLOW_STORE": "s3://upgradeflow/store", "MLFLOW_TRACKING_URI": "http://mlflow:5000"}


def test_steps_request_resources_and_skip_the_cache(spec: dict[str, Any]) -> None:
    for step in table_steps():
        resources = step_container(spec, step)[1]["resources"]
        assert resources["resourceCpuRequest"] and resources["resourceMemoryRequest"], step
        # enableCache absent means false: a step's inputs do not capture the store's state.
        assert not step_task(spec, step)[1]["cachingOptions"].get("enableCache"), step

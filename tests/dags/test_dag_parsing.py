"""DAG files parse without import errors and without importing torch (the scheduler
parses them often; torch would cost seconds and hundreds of MB each time)."""

import itertools

from tests.dags.helpers import probe_dags

PROBE = """
import json, sys
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(sys.argv[1])
print(json.dumps({"errors": {k: str(v) for k, v in bag.import_errors.items()}, "dags": sorted(bag.dag_ids),
                  "torch": "torch" in sys.modules, "mlflow": "mlflow" in sys.modules}))
"""


def test_dags_parse_without_torch(tmp_path):
    result = probe_dags(PROBE, tmp_path)
    assert result["errors"] == {}
    assert result["dags"] == ["bootstrap", "model_upgrade", "rollback"]
    assert not result["torch"] and not result["mlflow"]


TABLE_PROBE = """
import json, sys
from airflow.dag_processing.dagbag import DagBag
dag = DagBag(sys.argv[1]).dags["model_upgrade"]
tasks = {}
for task in dag.tasks:
    mapped = hasattr(task, "partial_kwargs")
    arguments = task.partial_kwargs["op_kwargs"]["arguments"] if mapped else task.op_args[0]
    tasks[task.task_id] = {"arguments": arguments, "upstream": sorted(task.upstream_task_ids), "mapped": mapped}
params = {name: dag.params.get_param(name).value for name in dag.params}
print(json.dumps({"tasks": tasks, "params": params}))
"""


def test_model_upgrade_is_the_pipeline_tables(tmp_path):
    """Every Param with its default, every step with its arguments, in the table's order:
    what the Kubeflow pipeline is built from too (``tests/kubeflow``)."""
    from upgradeflow.upgrade.pipeline import PARAMETERS, RELEASE_LEASE, STEPS, TAKE_LEASE

    dag = probe_dags(TABLE_PROBE, tmp_path)
    assert dag["params"] == {p.name: p.default for p in PARAMETERS}
    supplied = {
        "run_key": "{{ ti.xcom_pull(task_ids='train_new_model')['run_key'] }}",
        "lease_owner": "{{ dag.dag_id }}/{{ run_id }}",
        "shards": None,  # each mapped instance's own lane
    }
    booleans = {p.name for p in PARAMETERS if p.type == "boolean"}

    def template(name):
        if name in supplied:
            return supplied[name]
        return f"{{{{ params.{name} | lower }}}}" if name in booleans else f"{{{{ params.{name} }}}}"

    order = [TAKE_LEASE, *STEPS, RELEASE_LEASE]
    assert set(dag["tasks"]) == {step.task for step in order}
    for before, step in itertools.pairwise(order):
        task = dag["tasks"][step.task]
        assert task["arguments"] == step.render(template), step.task
        assert before.task in task["upstream"], step.task
        assert task["mapped"] == bool(step.lanes), step.task

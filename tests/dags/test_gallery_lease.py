"""Every DAG that moves a gallery's pointers holds that gallery's lease while it does:
``take_lease`` (a setup) comes before every pointer-moving step, and ``release_lease``
(its teardown) runs however the run ends. Together with the lease's own tests
(tests/store/test_lease.py: one taker wins, a dead holder's lease expires) this is why
the upgrade, rollback and bootstrap runs of one gallery cannot overlap."""

from tests.dags.helpers import probe_dags

PROBE = """
import json, sys
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(sys.argv[1])
arguments = lambda task: list((getattr(task, "op_args", None) or [[]])[0])  # a step's command line
out = {}
for dag_id, dag in bag.dags.items():
    take, release = dag.get_task("take_lease"), dag.get_task("release_lease")
    out[dag_id] = {
        "setup": take.is_setup, "teardown": release.is_teardown,
        "take": arguments(take), "release": arguments(release),
        "after_take": sorted(take.get_flat_relative_ids(upstream=False)),
        "before_release": sorted(release.get_flat_relative_ids(upstream=True)),
        "tasks": sorted(dag.task_ids),
        "owners": {t.task_id: arguments(t) for t in dag.tasks if "--lease-owner" in arguments(t)},
    }
print(json.dumps(out))
"""
MOVES = {"model_upgrade": ["commit_evolved", "swap_backfilled"], "rollback": ["rollback"], "bootstrap": ["bootstrap"]}
OWNER = "{{ dag.dag_id }}/{{ run_id }}"


def test_each_dag_holds_the_gallerys_lease_around_its_pointer_moves(tmp_path):
    dags = probe_dags(PROBE, tmp_path)
    assert sorted(dags) == sorted(MOVES)
    for dag_id, dag in dags.items():
        assert dag["setup"] and dag["teardown"], dag_id
        assert dag["take"][0] == "take" and dag["release"][0] == "release", dag_id
        gallery = dag["take"][dag["take"].index("--gallery") + 1]
        assert dag["release"][dag["release"].index("--gallery") + 1] == gallery, dag_id
        assert OWNER in dag["take"] and OWNER in dag["release"], dag_id
        for task_id in MOVES[dag_id]:
            assert task_id in dag["after_take"] and task_id in dag["before_release"], (dag_id, task_id)
            arguments = dag["owners"][task_id]
            assert arguments[arguments.index("--lease-owner") + 1] == OWNER, (dag_id, task_id)
        # Every task of the run but a read-only plan runs under the lease.
        assert set(dag["tasks"]) - set(dag["after_take"]) <= {"take_lease", "plan_rollback"}, dag_id
    assert dags["model_upgrade"]["take"][dags["model_upgrade"]["take"].index("--gallery") + 1] == "{{ params.gallery }}"
    assert "plan_rollback" in dags["rollback"]["take"][dags["rollback"]["take"].index("--gallery") + 1]

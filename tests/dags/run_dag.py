"""Run one DAG with ``dag.test()`` in a fresh process and print a JSON summary.

A process per run keeps Airflow's configuration (read once, at import) separate from
the test process and from other runs; the summary is the last stdout line.
"""

from __future__ import annotations

import json
import sys


def main() -> None:
    from airflow.dag_processing.dagbag import DagBag

    dags_folder, dag_id, conf = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    bag = DagBag(dags_folder)
    if bag.import_errors:
        raise SystemExit(f"import errors: {bag.import_errors}")
    run = bag.get_dag(dag_id).test(run_conf=conf)
    tasks = [
        {
            "task_id": ti.task_id,
            "map_index": ti.map_index,
            "label": ti.rendered_map_index,
            "state": str(ti.state),
            "try_number": ti.try_number,
        }
        for ti in run.get_task_instances()
    ]
    print(json.dumps({"state": str(run.state), "tasks": tasks}))


if __name__ == "__main__":
    main()

"""What every upgradeflow DAG shares: run settings, the Params that name things (built
from the pipeline table, so a pattern checked in one DAG is checked the same way in all
and in the Kubeflow pipeline) and the gallery lease that keeps the runs of different
DAGs on one gallery from overlapping."""

from __future__ import annotations

from typing import Any

import pendulum
from airflow.sdk import Param

from dags.steps import default_args, step
from upgradeflow.upgrade.pipeline import PARAMETERS, RELEASE_LEASE, TAKE_LEASE

LEASE_OWNER = "{{ dag.dag_id }}/{{ run_id }}"  # one owner per DAG run
_PARAMETERS = {p.name: p for p in PARAMETERS}


def dag_settings() -> dict[str, Any]:
    return {
        "start_date": pendulum.datetime(2026, 1, 1, tz="UTC"),
        "catchup": False,
        "max_active_runs": 1,
        "default_args": default_args(),
        "tags": ["upgradeflow"],
    }


def run_param(name: str) -> Param:
    """The pipeline table's run parameter ``name`` as an Airflow Param."""
    parameter = _PARAMETERS[name]
    description = parameter.description or None
    return Param(parameter.default, type=parameter.type, description=description, **parameter.schema())


def gallery_lease(gallery: str):
    """This run's lease on ``gallery``: the step that takes it (wire it before every step
    that moves a pointer) and the teardown that releases it however the run ends,
    without deciding the run's state. Returns (take, release)."""
    values = {"gallery": gallery, "lease_owner": LEASE_OWNER, "lease_ttl_s": "{{ params.lease_ttl_s }}"}
    take = step(TAKE_LEASE.module, TAKE_LEASE.render(values.get), task_id=TAKE_LEASE.task)
    release = step(RELEASE_LEASE.module, RELEASE_LEASE.render(values.get), task_id=RELEASE_LEASE.task)
    return take, release.as_teardown(setups=take)

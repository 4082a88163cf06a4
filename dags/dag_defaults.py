"""What every upgradeflow DAG shares: run settings, the Params that name things (so a
pattern checked in one DAG is checked the same way in all) and the gallery lease that
keeps the runs of different DAGs on one gallery from overlapping."""

from __future__ import annotations

from typing import Any

import pendulum
from airflow.sdk import Param

from dags.steps import default_args, step
from upgradeflow.store.manifest import NAME

MODEL_NAME = r"^[\w.-]+$"
LEASE_OWNER = "{{ dag.dag_id }}/{{ run_id }}"  # one owner per DAG run


def dag_settings() -> dict[str, Any]:
    return {
        "start_date": pendulum.datetime(2026, 1, 1, tz="UTC"),
        "catchup": False,
        "max_active_runs": 1,
        "default_args": default_args(),
        "tags": ["upgradeflow"],
    }


def model_name_param() -> Param:
    return Param("upgradeflow-glyphs", type="string", pattern=MODEL_NAME)


def store_name_param(default: str = "glyphs") -> Param:
    return Param(default, type="string", pattern=NAME.pattern)  # what the store accepts for gallery and index names


def lease_ttl_param() -> Param:
    return Param(
        21_600,  # six hours
        type="integer",
        minimum=60,
        description="seconds the run's gallery lease lasts without a renewal (each pointer move renews it); "
        "a run that dies without releasing it blocks the gallery this long",
    )


def gallery_lease(gallery: str):
    """This run's lease on ``gallery``: the step that takes it (wire it before every step
    that moves a pointer) and the teardown that releases it however the run ends,
    without deciding the run's state. Returns (take, release)."""
    take = step(
        "lease",
        ["take", "--gallery", gallery, "--owner", LEASE_OWNER, "--ttl-s", "{{ params.lease_ttl_s }}"],
        task_id="take_lease",
    )
    release = step("lease", ["release", "--gallery", gallery, "--owner", LEASE_OWNER], task_id="release_lease")
    return take, release.as_teardown(setups=take)

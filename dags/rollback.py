"""``rollback``: undo the last promotion (index, gallery, then the champion alias)."""

from __future__ import annotations

import pendulum
from airflow.sdk import Param, dag

from dags.assets import CHAMPION_ASSET, GALLERY_ASSET
from dags.steps import default_args, step


@dag(
    dag_id="rollback",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args=default_args(),
    tags=["upgradeflow"],
    params={"model_name": Param("upgradeflow-glyphs", type="string", pattern=r"^[\w.-]+$")},
)
def rollback():
    step("rollback", ["--model-name", "{{ params.model_name }}"], outlets=[GALLERY_ASSET, CHAMPION_ASSET])


rollback()

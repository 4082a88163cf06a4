"""``bootstrap``: a deployment's starting point (first model as champion, its gallery
and index live), for a fresh store; every part is skipped when it exists."""

from __future__ import annotations

import pendulum
from airflow.sdk import Param, dag

from dags.assets import CHAMPION_ASSET, GALLERY_ASSET
from dags.steps import default_args, step


@dag(
    dag_id="bootstrap",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args=default_args(),
    tags=["upgradeflow"],
    params={
        "model_name": Param("upgradeflow-glyphs", type="string", pattern=r"^[\w.-]+$"),
        "gallery": Param("glyphs", type="string", pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"),
        "index": Param("glyphs", type="string", pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"),
        "dataset": Param("glyphs", type="string"),
        "mode": Param("quick", enum=["quick", "full"]),
        "seed": Param(0, type="integer", minimum=0),
        "gallery_shards": Param(4, type="integer", minimum=1),
    },
)
def bootstrap():
    step(
        "bootstrap",
        [
            "--model-name", "{{ params.model_name }}",
            "--gallery", "{{ params.gallery }}",
            "--index", "{{ params.index }}",
            "--dataset", "{{ params.dataset }}",
            "--mode", "{{ params.mode }}",
            "--seed", "{{ params.seed }}",
            "--gallery-shards", "{{ params.gallery_shards }}",
        ],
        outlets=[GALLERY_ASSET, CHAMPION_ASSET],
    )  # fmt: skip


bootstrap()

"""``bootstrap``: a deployment's starting point (first model as champion, its gallery
and index live), for a fresh store; every part is skipped when it exists."""

from __future__ import annotations

from airflow.sdk import Param, dag

from dags.assets import CHAMPION_ASSET, GALLERY_ASSET
from dags.dag_defaults import (
    LEASE_OWNER,
    dag_settings,
    gallery_lease,
    run_param,
)
from dags.steps import step


@dag(
    dag_id="bootstrap",
    schedule=None,
    **dag_settings(),
    params={
        "model_name": run_param("model_name"),
        "gallery": run_param("gallery"),
        "index": run_param("index"),
        "dataset": Param("glyphs", type="string"),
        "mode": Param("quick", enum=["quick", "full"]),
        "seed": Param(0, type="integer", minimum=0),
        "gallery_shards": Param(4, type="integer", minimum=1),
        "lease_ttl_s": run_param("lease_ttl_s"),
    },
)
def bootstrap():
    take_lease, release_lease = gallery_lease("{{ params.gallery }}")
    made = step(
        "bootstrap",
        [
            "--model-name", "{{ params.model_name }}",
            "--gallery", "{{ params.gallery }}",
            "--index", "{{ params.index }}",
            "--dataset", "{{ params.dataset }}",
            "--mode", "{{ params.mode }}",
            "--seed", "{{ params.seed }}",
            "--gallery-shards", "{{ params.gallery_shards }}",
            "--lease-owner", LEASE_OWNER,
        ],
        outlets=[GALLERY_ASSET, CHAMPION_ASSET],
    )  # fmt: skip
    take_lease >> made >> release_lease


bootstrap()

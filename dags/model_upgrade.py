"""``model_upgrade``: train a compatible new model, register it, gate it, evolve the
live gallery shard by shard into its space, index it and make it live; then backfill it
(re-extract every item with the new model, worst first, while the evolved gallery
serves), index the backfill, swap both in and promote the model. Steps come
from ``tasks/`` through the factory in ``steps``."""

from __future__ import annotations

import os

from airflow.sdk import Param, dag

from dags.assets import CHAMPION_ASSET, GALLERY_ASSET
from dags.dag_defaults import (
    LEASE_OWNER,
    dag_settings,
    gallery_lease,
    lease_ttl_param,
    model_name_param,
    store_name_param,
)
from dags.steps import mapped_step, step

RUN_KEY = "{{ ti.xcom_pull(task_ids='train_new_model')['run_key'] }}"


@dag(
    dag_id="model_upgrade",
    schedule=os.environ.get("UPGRADEFLOW_UPGRADE_SCHEDULE", "@weekly"),
    **dag_settings(),
    params={
        "old_model": Param(
            "models:/upgradeflow-glyphs@champion",
            type="string",
            pattern=r"^models:/[^/@]+(@[\w-]+|/\d+)$",
            description="The model to upgrade from: models:/NAME@ALIAS or models:/NAME/VERSION",
        ),
        "model_name": model_name_param(),
        "gallery": store_name_param(),
        "index": store_name_param(),
        "index_kind": Param("flat", enum=["flat", "ivf", "hnsw"]),
        "method": Param(
            "dmu",
            enum=["dmu", "bct", "independent", "sfsc"],
            description="compatibility method; sfsc also registers one version per sub-model width",
        ),
        "weighting": Param("posterior", enum=["posterior", "entropy", "margin"], description="DMU sample weights"),
        "widths": Param(
            "1.0,0.75,0.5,0.25",
            type="string",
            pattern=r"^[0-9.]+(,[0-9.]+)*$",
            description="SFSC sub-model widths, descending, each in (0, 1]",
        ),
        "dataset": Param("glyphs", type="string"),
        "mode": Param("quick", enum=["quick", "full"]),
        "seed": Param(0, type="integer", minimum=0),
        "require_compatible": Param(True, type="boolean"),
        "compatibility_metrics": Param("map@100,top1", enum=["map@100,top1", "map@100", "top1"]),
        "max_new_new_regression": Param(0.0, type="number", minimum=0),
        "min_new_evolved": Param(0.0, type="number", minimum=0, maximum=100),
        "backfill_order": Param(
            "worst-first",
            enum=["worst-first", "residual-first", "random"],
            description="which items the backfill re-extracts first; worst-first needs the gallery's identities "
            "and fails without them (choose residual-first then)",
        ),
        "shard_concurrency": Param(4, type="integer", minimum=1, maximum=64),
        "max_map_length": Param(256, type="integer", minimum=1, maximum=4096),
        "lease_ttl_s": lease_ttl_param(),
    },
)
def model_upgrade():
    model = ["--model-name", "{{ params.model_name }}"]
    gallery = ["--gallery", "{{ params.gallery }}"]
    index = ["--index", "{{ params.index }}", "--index-kind", "{{ params.index_kind }}"]
    run = ["--run-key", RUN_KEY]
    moves = [*run, *gallery, *index, "--lease-owner", LEASE_OWNER]  # steps that move pointers renew the lease

    take_lease, release_lease = gallery_lease("{{ params.gallery }}")

    train = step(
        "train_new_model",
        [
            "--old-model", "{{ params.old_model }}",
            "--method", "{{ params.method }}",
            "--weighting", "{{ params.weighting }}",
            "--widths", "{{ params.widths }}",
            *gallery,
            "--dataset", "{{ params.dataset }}",
            "--mode", "{{ params.mode }}",
            "--seed", "{{ params.seed }}",
        ],
    )  # fmt: skip
    evaluate = step("evaluate", [*run, *model])
    register = step("register", [*run, *model])
    gate = step(
        "gate",
        [
            *run, *model,
            "--require-compatible", "{{ params.require_compatible | lower }}",
            "--compatibility-metrics", "{{ params.compatibility_metrics }}",
            "--max-new-new-regression", "{{ params.max_new_new_regression }}",
            "--min-new-evolved", "{{ params.min_new_evolved }}",
        ],
    )  # fmt: skip
    lanes = step(
        "plan_shards",
        [
            *run, *gallery,
            "--shard-concurrency", "{{ params.shard_concurrency }}",
            "--max-map-length", "{{ params.max_map_length }}",
        ],
    )  # fmt: skip
    evolve = mapped_step("evolve_shard", [*run, *gallery], lanes)
    seal = step("seal_evolved", [*run, *gallery], trigger_rule="none_failed")
    build_index = mapped_step("build_index_shard", [*run, *gallery, *index], lanes)
    commit = step("commit_evolved", moves, trigger_rule="none_failed", outlets=[GALLERY_ASSET])
    backfill_lanes = step(
        "plan_backfill",
        [
            *run, *model, *gallery,
            "--backfill-order", "{{ params.backfill_order }}",
            "--seed", "{{ params.seed }}",
            "--shard-concurrency", "{{ params.shard_concurrency }}",
            "--max-map-length", "{{ params.max_map_length }}",
        ],
        trigger_rule="none_failed",
    )  # fmt: skip
    backfill = mapped_step("backfill_shard", [*run, *gallery], backfill_lanes)
    final_index = step("build_final_index", [*run, *gallery, *index], trigger_rule="none_failed")
    swap = step("swap_backfilled", moves, trigger_rule="none_failed", outlets=[GALLERY_ASSET])
    promote = step("promote", [*run, *model, *gallery, *index], trigger_rule="none_failed", outlets=[CHAMPION_ASSET])

    take_lease >> train >> evaluate >> register >> gate >> lanes >> evolve >> seal >> build_index >> commit
    commit >> backfill_lanes >> backfill >> final_index >> swap >> promote >> release_lease


model_upgrade()

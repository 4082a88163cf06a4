"""``model_upgrade``: train a compatible new model, register it, gate it, evolve the
live gallery shard by shard into its space, index it and make it live; then backfill it
(re-extract every item with the new model, worst first, while the evolved gallery
serves), index the backfill, swap both in and promote the model. The run parameters and
the steps are the table in ``upgradeflow.upgrade.pipeline`` (the Kubeflow pipeline's
too); each step comes from ``tasks/`` through the factory in ``steps``."""

from __future__ import annotations

import os

from airflow.sdk import dag

from dags.assets import CHAMPION_ASSET, GALLERY_ASSET
from dags.dag_defaults import LEASE_OWNER, dag_settings, gallery_lease, run_param
from dags.steps import mapped_step, step
from upgradeflow.upgrade.pipeline import LEASE_OWNER as OWNER_TOKEN
from upgradeflow.upgrade.pipeline import PARAMETERS, RUN_KEY, SHARDS, STEPS, Step

RUN_KEY_TEMPLATE = "{{ ti.xcom_pull(task_ids='train_new_model')['run_key'] }}"
ASSETS = {"gallery": GALLERY_ASSET, "champion": CHAMPION_ASSET}
BOOLEANS = {p.name for p in PARAMETERS if p.type == "boolean"}


def template(name: str) -> str | None:
    """What a ``{name}`` of the table is in this DAG: a Param, the run key, the lease
    owner; a lane's shards come from the planning step (``mapped_step`` adds them)."""
    if name == SHARDS:
        return None
    if name == RUN_KEY:
        return RUN_KEY_TEMPLATE
    if name == OWNER_TOKEN:
        return LEASE_OWNER
    if name in BOOLEANS:  # the steps take "true"/"false"
        return f"{{{{ params.{name} | lower }}}}"
    return f"{{{{ params.{name} }}}}"


def task_for(spec: Step, planned: dict):
    arguments = spec.render(template)
    if spec.lanes:
        return mapped_step(spec.module, arguments, planned[spec.lanes])
    options = {"outlets": [ASSETS[m] for m in spec.moves]} if spec.moves else {}
    if spec.after_skips:
        options["trigger_rule"] = "none_failed"
    return step(spec.module, arguments, **options)


@dag(
    dag_id="model_upgrade",
    schedule=os.environ.get("UPGRADEFLOW_UPGRADE_SCHEDULE", "@weekly"),
    **dag_settings(),
    params={p.name: run_param(p.name) for p in PARAMETERS},
)
def model_upgrade():
    take_lease, release_lease = gallery_lease("{{ params.gallery }}")
    previous, planned = take_lease, {}
    for spec in STEPS:
        task = task_for(spec, planned)
        planned[spec.task] = task
        previous >> task
        previous = task
    previous >> release_lease


model_upgrade()

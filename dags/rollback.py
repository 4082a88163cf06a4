"""``rollback``: undo the last promotion (index, gallery, then the champion alias).
``plan_rollback`` observes which gallery and index versions are live; the run then takes
the gallery's lease and rolls back from exactly those versions, so a pointer moved in
between is refused, not stepped back from."""

from __future__ import annotations

from airflow.sdk import dag

from dags.assets import CHAMPION_ASSET, GALLERY_ASSET
from dags.dag_defaults import LEASE_OWNER, dag_settings, gallery_lease, run_param
from dags.steps import step

OBSERVED = "{{{{ ti.xcom_pull(task_ids='plan_rollback')['{}'] }}}}"


@dag(
    dag_id="rollback",
    schedule=None,
    **dag_settings(),
    params={"model_name": run_param("model_name"), "lease_ttl_s": run_param("lease_ttl_s")},
)
def rollback():
    model = ["--model-name", "{{ params.model_name }}"]
    plan = step("plan_rollback", model)
    take_lease, release_lease = gallery_lease(OBSERVED.format("gallery"))
    undo = step(
        "rollback",
        [
            *model,
            "--expect-gallery", OBSERVED.format("gallery_version"),
            "--expect-index", OBSERVED.format("index_version"),
            "--lease-owner", LEASE_OWNER,
        ],
        outlets=[GALLERY_ASSET, CHAMPION_ASSET],
    )  # fmt: skip
    plan >> take_lease >> undo >> release_lease


rollback()

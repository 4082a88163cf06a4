"""``rollback``: undo the last promotion (index, gallery, then the champion alias)."""

from __future__ import annotations

from airflow.sdk import dag

from dags.assets import CHAMPION_ASSET, GALLERY_ASSET
from dags.dag_defaults import dag_settings, model_name_param
from dags.steps import step


@dag(
    dag_id="rollback",
    schedule=None,
    **dag_settings(),
    params={"model_name": model_name_param()},
)
def rollback():
    step("rollback", ["--model-name", "{{ params.model_name }}"], outlets=[GALLERY_ASSET, CHAMPION_ASSET])


rollback()

"""What every upgradeflow DAG shares: run settings and the Params that name things, so
a pattern checked in one DAG is checked the same way in all."""

from __future__ import annotations

from typing import Any

import pendulum
from airflow.sdk import Param

from dags.steps import default_args
from upgradeflow.store.manifest import NAME

MODEL_NAME = r"^[\w.-]+$"


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

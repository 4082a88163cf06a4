"""Registering a run (against a real MLflow on SQLite): the version carries the run's
evaluation as metrics and artifacts and gets ``challenger``; registering again changes
nothing, a run not yet evaluated is refused in one line, a promoted run is skipped."""

from __future__ import annotations

import json

import pytest

from tests.upgrade.helpers import MODEL_NAME as NAME
from tests.upgrade.helpers import REGISTERED_KEY as KEY
from tests.upgrade.helpers import write_evaluation
from upgradeflow.errors import UserInputError
from upgradeflow.registry.versions import CHALLENGER, CHAMPION, alias_version, set_alias, tags_of
from upgradeflow.upgrade.registration import REPORT_FILES, register_run


def test_a_run_not_evaluated_yet_is_refused(registered_run):
    upgrade, champion = registered_run
    with pytest.raises(UserInputError, match=f"not evaluated against {champion.uri} yet") as raised:
        register_run(upgrade, NAME)
    assert "\n" not in str(raised.value)


def test_a_run_registers_once_as_the_challenger(registered_run):
    import mlflow

    upgrade, champion = registered_run
    write_evaluation(upgrade, champion)
    first = register_run(upgrade, NAME)
    assert first["version"] != champion.version and first["alias_moved"]
    assert alias_version(NAME, CHALLENGER) == first["version"]
    logged = mlflow.get_run(first["run_id"]).data
    assert logged.metrics["new/old/map_at_100"] == 51.5 and logged.metrics["champion/self/map_at_100"] == 40.0
    assert logged.params["run_key"] == KEY and logged.params["method"] == "dmu"
    artifacts = {a.path for a in mlflow.MlflowClient().list_artifacts(first["run_id"], f"champion-v{champion.version}")}
    assert {f"champion-v{champion.version}/{name}" for name in REPORT_FILES} <= artifacts
    assert tags_of(type(champion)(NAME, first["version"]))["upgradeflow.old_model"] == champion.uri

    again = register_run(upgrade, NAME)
    assert (again["version"], again["run_id"], again["alias_moved"]) == (first["version"], first["run_id"], False)


def test_a_promoted_run_is_skipped(registered_run):
    upgrade, champion = registered_run
    write_evaluation(upgrade, champion)
    registered = register_run(upgrade, NAME)
    set_alias(type(champion)(NAME, registered["version"]), CHAMPION)
    assert register_run(upgrade, NAME) == {
        "model": f"models:/{NAME}/{registered['version']}",
        "version": registered["version"],
        "skipped": True,
    }
    assert json.dumps(registered)  # what the step prints is JSON

"""Registering a run (against a real MLflow on SQLite): the version carries the run's
evaluation as metrics and artifacts and gets ``challenger``; registering again changes
nothing, a run not yet evaluated is refused in one line, a promoted run is skipped."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.backfill.helpers import tiny_model
from tests.store.helpers import make_adapter
from upgradeflow.errors import UserInputError
from upgradeflow.models.checkpoint import save_model
from upgradeflow.registry.model_package import FORWARD_ADAPTER_FILE, MODEL_FILE
from upgradeflow.registry.tracking import use_tracking
from upgradeflow.registry.versions import CHALLENGER, CHAMPION, alias_version, register_version, set_alias, tags_of
from upgradeflow.store.location import open_store
from upgradeflow.upgrade.registration import REPORT_FILES, register_run
from upgradeflow.upgrade.run_context import UpgradeRun
from upgradeflow.upgrade.run_files import evaluation_prefix, run_prefix, upload, write_json

NAME = "registration-test"
KEY = "00112233445566aa"


def checkpoints(directory, seed: int):
    save_model(tiny_model(seed), directory / MODEL_FILE)
    make_adapter(directory / FORWARD_ADAPTER_FILE, seed=seed)
    return directory


@pytest.fixture
def run(tmp_path, restore_tracking):
    """A finished training run in a local store, and a champion registered before it."""
    use_tracking(f"sqlite:///{tmp_path / 'mlflow' / 'mlflow.db'}")
    champion = register_version(
        NAME,
        "ffffffffffffffff",
        checkpoints(tmp_path / "champion", 1),
        params={},
        metrics={},
        artifacts=[],
        tags={},
        input_example=np.zeros((2, 16, 16), dtype=np.uint8),
    )
    set_alias(champion, CHAMPION)
    store = open_store(str(tmp_path / "store"))
    files = sorted(checkpoints(tmp_path / "run", 2).iterdir())
    upload(store, run_prefix(KEY), files)
    record = {
        "files": [f.name for f in files],
        "adapter_sha256": "0" * 64,
        "old_model": champion.uri,
        "spec": {"method": "dmu", "dataset": "glyphs", "seed": 0},
        "widths": [],
    }
    write_json(store, f"{run_prefix(KEY)}/train.json", record)
    return UpgradeRun(store, KEY), champion


def evaluate(run: UpgradeRun, champion) -> None:
    """What the evaluate step leaves for the champion the run is compared with."""
    prefix = evaluation_prefix(run.key, champion.version)
    evaluation = {"challenger": {"matrix": {"new/old": {"map@100": 51.5, "top1": 70.0}}}, "champion": {"map@100": 40.0}}
    write_json(run.store, f"{prefix}/evaluation.json", evaluation)
    for name in REPORT_FILES[1:]:
        run.store.write(f"{prefix}/{name}", b"report")


def test_a_run_not_evaluated_yet_is_refused(run):
    upgrade, champion = run
    with pytest.raises(UserInputError, match=f"not evaluated against {champion.uri} yet") as raised:
        register_run(upgrade, NAME)
    assert "\n" not in str(raised.value)


def test_a_run_registers_once_as_the_challenger(run):
    import mlflow

    upgrade, champion = run
    evaluate(upgrade, champion)
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


def test_a_promoted_run_is_skipped(run):
    upgrade, champion = run
    evaluate(upgrade, champion)
    registered = register_run(upgrade, NAME)
    set_alias(type(champion)(NAME, registered["version"]), CHAMPION)
    assert register_run(upgrade, NAME) == {
        "model": f"models:/{NAME}/{registered['version']}",
        "version": registered["version"],
        "skipped": True,
    }
    assert json.dumps(registered)  # what the step prints is JSON

"""A run is measured once per champion: a report already in the store is returned
without loading data or models, and a promoted run is not measured again (the measuring
path runs end to end in ``tests/dags``)."""

from __future__ import annotations

from tests.upgrade.helpers import MODEL_NAME, write_evaluation
from upgradeflow.registry.versions import CHAMPION, ModelRef, set_alias
from upgradeflow.upgrade.registration import register_run
from upgradeflow.upgrade.run_evaluation import evaluate_run

REPORT = {
    "run_key": "00112233445566aa",
    "champion_model": f"models:/{MODEL_NAME}/1",
    "challenger": {"matrix": {"new/old": {"map@100": 51.456, "top1": 70.0}}, "compatible": True},
    "champion": {"map@100": 40.0},
}


def test_a_measured_run_is_not_measured_again(registered_run, tmp_path):
    upgrade, champion = registered_run
    write_evaluation(upgrade, champion, REPORT)
    found = evaluate_run(upgrade, MODEL_NAME, tmp_path / "no-data-here")
    assert found["skipped"] and found["map@100"] == {"new/old": 51.46} and found["compatible"]
    assert found["evaluation"].endswith(f"evaluation-champion-v{champion.version}")


def test_a_promoted_run_is_skipped(registered_run, tmp_path):
    upgrade, champion = registered_run
    write_evaluation(upgrade, champion, REPORT)
    version = register_run(upgrade, MODEL_NAME)["version"]
    set_alias(ModelRef(MODEL_NAME, version), CHAMPION)
    assert evaluate_run(upgrade, MODEL_NAME, tmp_path / "no-data-here") == {
        "run_key": upgrade.key, "champion_model": f"models:/{MODEL_NAME}/{version}", "skipped": True
    }  # fmt: skip

import pytest

from upgradeflow.errors import UserInputError
from upgradeflow.upgrade.gate import GateFailed, GateThresholds, gate_failures, gate_run


def metrics(map100: float, top1: float) -> dict:
    return {"map@100": map100, "map": map100, "top1": top1, "top5": top1}


def evaluation(old_old=(50, 80), new_old=(55, 85), evolved=(60, 88), new_new=(80, 95), champion=(50, 80)) -> dict:
    matrix = {
        "old/old": metrics(*old_old),
        "new/old": metrics(*new_old),
        "new/evolved": metrics(*evolved),
        "new/new": metrics(*new_new),
    }
    return {"challenger": {"matrix": matrix}, "champion": metrics(*champion)}


def test_a_good_challenger_passes_the_default_rules():
    assert gate_failures(evaluation(), GateThresholds()) == []


def test_each_rule_names_itself_when_it_fails():
    failures = gate_failures(evaluation(new_old=(55, 70), new_new=(40, 95)), GateThresholds(min_new_evolved=70))
    assert [f.split(":")[0] for f in failures] == ["compatibility", "max_new_new_regression", "min_new_evolved"]
    assert "new/old top1 70.00 does not beat old/old 80.00" in failures[0]


def test_compatibility_can_be_judged_on_chosen_metrics_or_skipped():
    incompatible_on_top1 = evaluation(new_old=(55, 70))
    assert gate_failures(incompatible_on_top1, GateThresholds(compatibility_metrics=("map@100",))) == []
    assert gate_failures(incompatible_on_top1, GateThresholds(require_compatible=False)) == []


def test_regression_allowance_is_in_map_points():
    slightly_worse = evaluation(new_new=(79, 95), champion=(80, 95))
    assert gate_failures(slightly_worse, GateThresholds(max_new_new_regression=1.0)) == []
    assert gate_failures(slightly_worse, GateThresholds(max_new_new_regression=0.5))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"min_new_evolved": 101},
        {"min_new_evolved": float("nan")},
        {"max_new_new_regression": -1},
        {"max_new_new_regression": float("nan")},  # would switch the regression rule off
        {"compatibility_metrics": ("recall",)},
    ],
)
def test_bad_thresholds_are_rejected(kwargs):
    with pytest.raises(UserInputError):
        GateThresholds(**kwargs)


def test_the_gate_needs_an_evaluated_and_registered_run(registered_run):
    from tests.upgrade.helpers import MODEL_NAME, write_evaluation

    upgrade, champion = registered_run
    with pytest.raises(UserInputError, match="evaluate and register it before the gate"):
        gate_run(upgrade, MODEL_NAME, GateThresholds())
    write_evaluation(upgrade, champion, evaluation())
    with pytest.raises(UserInputError, match="evaluate and register it before the gate"):
        gate_run(upgrade, MODEL_NAME, GateThresholds())  # evaluated, not registered


def test_the_verdict_is_recorded_on_the_version_and_a_failure_raised(registered_run):
    from tests.upgrade.helpers import MODEL_NAME, write_evaluation
    from upgradeflow.registry.versions import ModelRef, tags_of
    from upgradeflow.upgrade.registration import register_run

    upgrade, champion = registered_run
    write_evaluation(upgrade, champion, evaluation())
    version = ModelRef(MODEL_NAME, register_run(upgrade, MODEL_NAME)["version"])
    assert gate_run(upgrade, MODEL_NAME, GateThresholds())["gate"] == "passed"
    assert tags_of(version)["upgradeflow.gate"] == "passed"
    with pytest.raises(GateFailed, match="min_new_evolved"):
        gate_run(upgrade, MODEL_NAME, GateThresholds(min_new_evolved=90))
    assert tags_of(version)["upgradeflow.gate"] == "failed"
    assert tags_of(version)["upgradeflow.gate_champion"] == champion.uri

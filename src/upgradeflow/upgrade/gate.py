"""The promotion gate: rules over the evaluation that a challenger must pass before
anything it produced becomes live."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from upgradeflow.errors import UserInputError
from upgradeflow.evaluation.matrix import CRITERION_METRICS

if TYPE_CHECKING:
    from upgradeflow.upgrade.run_context import UpgradeRun

METRIC = "map@100"


class GateFailed(RuntimeError):
    """The challenger failed a promotion rule; the message names the rule."""


@dataclass(frozen=True)
class GateThresholds:
    require_compatible: bool = True
    compatibility_metrics: tuple[str, ...] = CRITERION_METRICS  # new/old must beat old/old on each
    max_new_new_regression: float = 0.0  # points of mAP@100 below the champion's own retrieval
    min_new_evolved: float = 0.0  # mAP@100 of new queries against the evolved gallery

    def __post_init__(self) -> None:
        unknown = set(self.compatibility_metrics) - set(CRITERION_METRICS)
        if unknown or not self.compatibility_metrics:
            raise UserInputError(
                f"compatibility metrics must be among {', '.join(CRITERION_METRICS)}, got {self.compatibility_metrics}"
            )
        if not 0 <= self.min_new_evolved <= 100:  # False for NaN as well
            raise UserInputError(f"min_new_evolved must be within 0..100, got {self.min_new_evolved}")
        if not self.max_new_new_regression >= 0:  # NaN too: it would switch the rule off
            raise UserInputError(f"max_new_new_regression must be >= 0, got {self.max_new_new_regression}")

    def to_dict(self) -> dict:
        return asdict(self)


def gate_failures(evaluation: dict, thresholds: GateThresholds) -> list[str]:
    """Every failed rule, as one readable line each (empty: the challenger passes)."""
    matrix = evaluation["challenger"]["matrix"]
    champion = evaluation["champion"]["map@100"]
    failures = []
    if thresholds.require_compatible:
        for metric in thresholds.compatibility_metrics:
            if matrix["new/old"][metric] <= matrix["old/old"][metric]:
                failures.append(
                    f"compatibility: new/old {metric} {matrix['new/old'][metric]:.2f} "
                    f"does not beat old/old {matrix['old/old'][metric]:.2f}"
                )
    regression = champion - matrix["new/new"][METRIC]
    if regression > thresholds.max_new_new_regression:
        failures.append(
            f"max_new_new_regression: new/new {METRIC} {matrix['new/new'][METRIC]:.2f} is {regression:.2f} "
            f"below the champion's {champion:.2f} (allowed {thresholds.max_new_new_regression:.2f})"
        )
    if matrix["new/evolved"][METRIC] < thresholds.min_new_evolved:
        failures.append(
            f"min_new_evolved: new/evolved {METRIC} {matrix['new/evolved'][METRIC]:.2f} "
            f"is below {thresholds.min_new_evolved:.2f}"
        )
    return failures


def gate_run(run: UpgradeRun, model_name: str, thresholds: GateThresholds) -> dict:
    """Judge the run's registered challenger on its evaluation against the champion,
    record the verdict on its version and run, and raise ``GateFailed`` on a failed rule
    (tracking already chosen)."""
    import mlflow

    from upgradeflow.registry.versions import CHAMPION, find_version, resolve, run_id_of, tag_version
    from upgradeflow.store.object_store import join
    from upgradeflow.upgrade.registration import promoted_version
    from upgradeflow.upgrade.run_files import evaluation_prefix, read_json

    promoted = promoted_version(model_name, run.key)
    if promoted is not None:
        return {"model": promoted.uri, "gate": "already champion", "skipped": True}
    champion = resolve(f"models:/{model_name}@{CHAMPION}")
    evaluation = read_json(run.store, join(evaluation_prefix(run.key, champion.version), "evaluation.json"))
    challenger = find_version(model_name, run.key)
    if evaluation is None or challenger is None:
        raise UserInputError(f"run {run.key}: evaluate and register it before the gate")
    failures = gate_failures(evaluation, thresholds)
    verdict = {
        "upgradeflow.gate": "failed" if failures else "passed",
        "upgradeflow.gate_reason": "; ".join(failures) or "all rules passed",
        "upgradeflow.gate_thresholds": str(thresholds.to_dict()),
        "upgradeflow.gate_champion": champion.uri,
    }
    tag_version(challenger, verdict)
    client = mlflow.MlflowClient()
    run_id = run_id_of(challenger)
    for key, value in verdict.items():
        client.set_tag(run_id, key, value)
    if failures:
        raise GateFailed(f"{challenger.uri} against {champion.uri}: " + "; ".join(failures))
    return {"model": challenger.uri, "champion": champion.uri, "gate": "passed"}

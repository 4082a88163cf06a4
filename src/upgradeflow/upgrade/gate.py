"""The promotion gate: rules over the evaluation that a challenger must pass before
anything it produced becomes live."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from upgradeflow.errors import UserInputError
from upgradeflow.evaluation.matrix import CRITERION_METRICS

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

"""mAP@100, mAP, top-k and negative flips from the ranks of the positives."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from upgradeflow.errors import UserInputError
from upgradeflow.evaluation.ranking import positive_ranks


def average_precision(ranks: np.ndarray, cutoff: int | None = None) -> float:
    """AP of one query from its positives' sorted ranks; ``cutoff`` gives AP@cutoff as in
    GLDv2: (1 / min(n_pos, cutoff)) * sum over k <= cutoff of P(k) rel(k)."""
    hits = np.arange(1, len(ranks) + 1) / ranks
    if cutoff is None:
        return float(hits.mean())
    return float(hits[ranks <= cutoff].sum() / min(len(ranks), cutoff))


@dataclass(frozen=True)
class RetrievalMetrics:
    """Percentages over the queries that have at least one positive in the gallery."""

    map_at_100: float
    map: float
    top1: float
    top5: float
    queries: int
    queries_without_positives: int

    def to_dict(self) -> dict:
        values = asdict(self)
        return {"map@100": values.pop("map_at_100"), **values}


def answered_ranks(ranks: list[np.ndarray]) -> list[np.ndarray]:
    """The ranks of the queries that have a positive; none at all is the user's mistake."""
    answered = [r for r in ranks if len(r)]
    if not answered:
        raise UserInputError("no query has a positive in the gallery: nothing to measure")
    return answered


def metrics_from_ranks(ranks: list[np.ndarray]) -> RetrievalMetrics:
    answered = answered_ranks(ranks)
    return RetrievalMetrics(
        map_at_100=100 * float(np.mean([average_precision(r, 100) for r in answered])),
        map=100 * float(np.mean([average_precision(r) for r in answered])),
        top1=100 * float(np.mean([r[0] <= 1 for r in answered])),
        top5=100 * float(np.mean([r[0] <= 5 for r in answered])),
        queries=len(answered),
        queries_without_positives=len(ranks) - len(answered),
    )


def retrieval_metrics(
    queries: np.ndarray, query_labels: np.ndarray, gallery: np.ndarray, gallery_labels: np.ndarray
) -> RetrievalMetrics:
    return metrics_from_ranks(positive_ranks(queries, query_labels, gallery, gallery_labels))


def shallow_metrics(ranks: list[np.ndarray], cutoff: int = 100) -> tuple[float, float]:
    """mAP@cutoff and top-1 (percentages) of the answered queries: all that ranks exact
    only down to ``cutoff`` (``score_ranks(depth=...)``) can tell."""
    answered = answered_ranks(ranks)
    return (
        100 * float(np.mean([average_precision(r, cutoff) for r in answered])),
        100 * float(np.mean([r[0] <= 1 for r in answered])),
    )


def top1_correct(ranks: list[np.ndarray]) -> np.ndarray:
    """Per query: is the first result a positive (False for queries with no positive)."""
    return np.array([len(r) > 0 and r[0] == 1 for r in ranks])


def negative_flip_rate(before: np.ndarray, after: np.ndarray) -> float:
    """Percentage of queries right before the upgrade step and wrong after it."""
    before, after = np.asarray(before, bool), np.asarray(after, bool)
    if before.shape != after.shape:
        raise ValueError(f"flip inputs differ in shape: {before.shape} vs {after.shape}")
    return 100 * float((before & ~after).mean())

"""The cross-model matrix: every (query model / gallery model) pair that an upgrade
serves, and the empirical compatibility criterion."""

from __future__ import annotations

import numpy as np

from upgradeflow.evaluation.metrics import metrics_from_ranks, negative_flip_rate, top1_correct
from upgradeflow.evaluation.ranking import positive_ranks

CRITERION_METRICS = ("map@100", "top1")


def evaluate_pairs(
    query_embeddings: dict[str, np.ndarray],
    gallery_embeddings: dict[str, np.ndarray],
    query_labels: np.ndarray,
    gallery_labels: np.ndarray,
    pairs: list[str],
) -> tuple[dict[str, dict], dict[str, np.ndarray]]:
    """Metrics per ``"query/gallery"`` pair, and per pair the top-1 correctness of each
    query (for negative flips)."""
    matrix: dict[str, dict] = {}
    correct: dict[str, np.ndarray] = {}
    for pair in pairs:
        query_model, gallery_model = pair.split("/")
        ranks = positive_ranks(
            query_embeddings[query_model],
            query_labels,
            gallery_embeddings[gallery_model],
            gallery_labels,
        )
        matrix[pair] = metrics_from_ranks(ranks).to_dict()
        correct[pair] = top1_correct(ranks)
    return matrix, correct


def criterion(candidate: dict, reference: dict) -> dict[str, bool]:
    """The empirical compatibility criterion per metric: the cross pair beats the reference."""
    return {m: candidate[m] > reference[m] for m in CRITERION_METRICS}


def is_compatible(matrix: dict[str, dict]) -> bool:
    """new/old > old/old on every criterion metric (mAP@100 and top-1)."""
    return all(criterion(matrix["new/old"], matrix["old/old"]).values())


def flip_rates(correct: dict[str, np.ndarray]) -> dict[str, float]:
    """Negative flips of each new pair against the old system (old/old)."""
    return {pair: negative_flip_rate(correct["old/old"], hits) for pair, hits in correct.items() if pair != "old/old"}

"""Exact ranks of every positive gallery item for every query.

All retrieval metrics are functions of these ranks. Ranking is by inner product,
descending; ties are broken by gallery position, so results never depend on the order
in which a search library happens to return equal scores.
"""

from __future__ import annotations

import numpy as np

from upgradeflow.evaluation.validation import check_embeddings

QUERY_CHUNK = 256


def _row_ranks(scores: np.ndarray, columns: np.ndarray) -> np.ndarray:
    """1-based ranks of ``columns`` in one row of scores (descending, ties by position).

    One sort of the row gives, by binary search, how many items score higher; only a
    score shared with other items needs the direct count of equal items placed before.
    """
    ordered = np.sort(scores)
    own = scores[columns]
    right = np.searchsorted(ordered, own, side="right")
    above = len(scores) - right
    shared = right - np.searchsorted(ordered, own, side="left") > 1
    for i in np.flatnonzero(shared):
        above[i] += int((scores[: columns[i]] == own[i]).sum())
    return np.sort(above + 1)


def positive_ranks(
    queries: np.ndarray,
    query_labels: np.ndarray,
    gallery: np.ndarray,
    gallery_labels: np.ndarray,
) -> list[np.ndarray]:
    """Sorted 1-based ranks of the positives of each query (empty when it has none)."""
    queries, gallery = check_embeddings(queries, gallery)
    query_labels, gallery_labels = np.asarray(query_labels), np.asarray(gallery_labels)
    ranks: list[np.ndarray] = []
    for start in range(0, len(queries), QUERY_CHUNK):
        scores = queries[start : start + QUERY_CHUNK] @ gallery.T
        for row, label in zip(scores, query_labels[start : start + QUERY_CHUNK], strict=True):
            ranks.append(_row_ranks(row, np.flatnonzero(gallery_labels == label)))
    return ranks

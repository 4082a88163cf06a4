"""Exact ranks of every positive gallery item for every query.

All retrieval metrics are functions of these ranks. Ranking is by inner product,
descending; ties are broken by gallery position, so results never depend on the order
in which a search library happens to return equal scores.
"""

from __future__ import annotations

import numpy as np

from upgradeflow.evaluation.validation import check_embeddings

QUERY_CHUNK = 256
PAIR_CHUNK = 2048


def positive_ranks(
    queries: np.ndarray,
    query_labels: np.ndarray,
    gallery: np.ndarray,
    gallery_labels: np.ndarray,
) -> list[np.ndarray]:
    """Sorted 1-based ranks of the positives of each query (empty when it has none)."""
    queries, gallery = check_embeddings(queries, gallery)
    query_labels, gallery_labels = np.asarray(query_labels), np.asarray(gallery_labels)
    positions = np.arange(len(gallery))
    ranks: list[np.ndarray] = []
    for start in range(0, len(queries), QUERY_CHUNK):
        scores = queries[start : start + QUERY_CHUNK] @ gallery.T
        labels = query_labels[start : start + QUERY_CHUNK]
        rows, cols = np.nonzero(labels[:, None] == gallery_labels[None, :])
        chunk_ranks = np.empty(len(rows), dtype=np.int64)
        for p in range(0, len(rows), PAIR_CHUNK):
            r, c = rows[p : p + PAIR_CHUNK], cols[p : p + PAIR_CHUNK]
            row_scores = scores[r]
            own = scores[r, c][:, None]
            ahead = (row_scores > own) | ((row_scores == own) & (positions[None, :] < c[:, None]))
            chunk_ranks[p : p + PAIR_CHUNK] = ahead.sum(axis=1) + 1
        splits = np.searchsorted(rows, np.arange(1, len(labels)))
        ranks.extend(np.sort(part) for part in np.split(chunk_ranks, splits))
    return ranks

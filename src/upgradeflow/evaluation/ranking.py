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
    ranks: list[np.ndarray] = []
    for start in range(0, len(queries), QUERY_CHUNK):
        scores = queries[start : start + QUERY_CHUNK] @ gallery.T
        ranks += score_ranks(scores, np.asarray(query_labels)[start : start + QUERY_CHUNK], gallery_labels)
    return ranks


def score_ranks(
    scores: np.ndarray,
    query_labels: np.ndarray,
    gallery_labels: np.ndarray,
    excluded: np.ndarray | None = None,
    depth: int | None = None,
) -> list[np.ndarray]:
    """The same ranks from a score matrix [Q, G] (scores that are not plain inner
    products: a merge of two calibrated parts). ``excluded`` names, per query, one
    gallery column that is neither a result nor a positive (the query's own row when a
    set searches itself); the scores are changed in place there.

    With ``depth``, only ranks up to ``depth`` are exact and every positive below it gets
    ``inf``: all that AP@depth, top-1 and top-5 read, found without sorting whole rows
    (one partition of the batch gives each row's depth-th score, and only the few items
    at or above it are compared)."""
    gallery_labels = np.asarray(gallery_labels)
    query_labels = np.asarray(query_labels)
    if excluded is not None:
        scores[np.arange(len(scores)), excluded] = -np.inf
    positives = _positives_by_label(gallery_labels, np.unique(query_labels))
    if depth is not None and depth < scores.shape[1]:
        thresholds = np.partition(scores, -depth, axis=1)[:, -depth]  # each row's depth-th largest
    else:
        thresholds = None
    ranks: list[np.ndarray] = []
    for i, (row, label) in enumerate(zip(scores, query_labels, strict=True)):
        columns = positives[label]
        if excluded is not None:
            columns = columns[columns != excluded[i]]
        if thresholds is None:
            ranks.append(_row_ranks(row, columns))
        else:
            ranks.append(_top_ranks(row, columns, thresholds[i], depth))
    return ranks


def _positives_by_label(gallery_labels: np.ndarray, labels: np.ndarray) -> dict:
    """Each label's gallery columns, ascending, from one stable sort of the labels."""
    order = np.argsort(gallery_labels, kind="stable")
    ordered = gallery_labels[order]
    starts = np.searchsorted(ordered, labels, side="left")
    ends = np.searchsorted(ordered, labels, side="right")
    return {label: np.sort(order[a:b]) for label, a, b in zip(labels.tolist(), starts, ends, strict=True)}


def _top_ranks(scores: np.ndarray, columns: np.ndarray, threshold: float, depth: int) -> np.ndarray:
    """Exact ranks of the positives within ``depth``, ``inf`` for the rest. Only a
    positive scoring at least ``threshold`` (the row's depth-th score) can be within it,
    and everything that outranks such a positive scores at least as much, so only those
    few items are compared."""
    own = scores[columns]
    ranks = np.full(len(columns), np.inf)
    inside = own >= threshold
    if inside.any():
        candidates = np.flatnonzero(scores >= threshold)
        above = scores[candidates][None, :]
        mine, where = own[inside][:, None], columns[inside][:, None]
        ranks[inside] = (above > mine).sum(1) + ((above == mine) & (candidates[None, :] < where)).sum(1) + 1
    ranks[ranks > depth] = np.inf  # tied with the depth-th score but placed after it
    return np.sort(ranks)


def leave_one_out_ranks(queries: np.ndarray, gallery: np.ndarray, labels: np.ndarray) -> list[np.ndarray]:
    """Ranks of the positives when row i of ``queries`` searches every row of ``gallery``
    but its own: one labelled set, each item a query against the others, as an upgrade
    searches items other than the query. The two may be different spaces of the same rows."""
    queries, gallery = check_embeddings(queries, gallery)
    if not len(queries) == len(gallery) == len(labels):
        raise ValueError("leave-one-out ranking needs one query, one gallery row and one label per item")
    labels = np.asarray(labels)
    ranks: list[np.ndarray] = []
    for start in range(0, len(queries), QUERY_CHUNK):
        rows = np.arange(start, min(start + QUERY_CHUNK, len(queries)))
        ranks += score_ranks(queries[rows] @ gallery.T, labels[rows], labels, excluded=rows)
    return ranks

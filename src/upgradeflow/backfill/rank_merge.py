"""Distance rank merge over a partly backfilled gallery (Seo et al., WACV 2025).

The backfilled part holds new-model features and is searched with the new query; the
rest holds old (or evolved) features and is searched with a query in that space: the old
model's, the reverse adapter's rho(φ_n(q)), or φ_n(q) itself for an evolved gallery. Each
part's top-K are merged by similarity. Merging complete lists by similarity equals
ranking the concatenated scores, which is how ``evaluation.backfill_curve`` measures it.
"""

from __future__ import annotations

import numpy as np

from upgradeflow.errors import UserInputError


def merged_top_k(
    new_scores: np.ndarray,
    new_ids: np.ndarray,
    rest_scores: np.ndarray,
    rest_ids: np.ndarray,
    k: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Merge two per-query result lists ([Q, K1] and [Q, K2], best first) into the top
    ``k`` by similarity. An id in both lists (already backfilled, still indexed in the
    old part) keeps its backfilled entry; padding (score -inf) never wins, and comes last
    when fewer than ``k`` real hits exist. Ids may be any hashable values (strings)."""
    if new_scores.shape != new_ids.shape or rest_scores.shape != rest_ids.shape:
        raise UserInputError("each part's scores and ids must have the same shape")
    if len(new_scores) != len(rest_scores):
        raise UserInputError(f"parts answer different query counts: {len(new_scores)} and {len(rest_scores)}")
    scores = np.concatenate([new_scores, rest_scores], axis=1).astype(np.float64)
    ids = np.concatenate([new_ids, rest_ids], axis=1)
    width = new_ids.shape[1]
    for row in range(len(ids)):
        backfilled = {i for i, s in zip(new_ids[row], new_scores[row], strict=True) if s > -np.inf}
        stale = [i in backfilled for i in rest_ids[row]]
        scores[row, width:][stale] = -np.inf
    order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(scores, order, 1), np.take_along_axis(ids, order, 1)

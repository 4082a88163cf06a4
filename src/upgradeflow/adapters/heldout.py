"""The held-out part of the training pairs, and how a map is scored on it.

Adapters are chosen by the retrieval they give on pairs they were not fitted on, split
by identity when there are enough identities (the evaluated identities are unseen too),
else by row. Scores are retrieval, never regression error: a map with lower MSE can rank
worse, because retrieval depends on the geometry between items, not on each item alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from upgradeflow.evaluation.metrics import metrics_from_ranks
from upgradeflow.evaluation.ranking import leave_one_out_ranks, positive_ranks

HELD_OUT_FRACTION = 0.1
MIN_IDENTITIES = 100  # below this, an identity split leaves too few held-out identities to rank
MIN_ROWS = 20  # below this, nothing is held out and no choice is made
MAX_HELD_OUT_ROWS = 2500  # enough to rank candidates; more only costs time


@dataclass(frozen=True)
class HeldOutSplit:
    fit: np.ndarray  # row indices the candidates are fitted on
    held_out: np.ndarray  # row indices they are scored on
    by: str  # "identity" or "row"
    protocol: str  # "identity": other rows of the identity are the positives; "item": the row's own pair

    def describe(self) -> dict:
        return {
            "by": self.by,
            "fit_rows": len(self.fit),
            "held_out_rows": len(self.held_out),
            "protocol": self.protocol,
        }


def held_out_split(identities: np.ndarray, seed: int = 0) -> HeldOutSplit | None:
    """10% of the identities (at most ``MAX_HELD_OUT_ROWS`` rows) when there are at least
    ``MIN_IDENTITIES``, else 10% of the rows; None below ``MIN_ROWS`` rows."""
    rows = len(identities)
    if rows < MIN_ROWS:
        return None
    rng = np.random.default_rng(seed)
    labels, counts = np.unique(identities, return_counts=True)
    wanted = min(max(1, round(HELD_OUT_FRACTION * rows)), MAX_HELD_OUT_ROWS)
    if len(labels) >= MIN_IDENTITIES and len(labels) < rows:
        order = rng.permutation(len(labels))
        taken = order[: max(1, int(np.searchsorted(np.cumsum(counts[order]), wanted, side="right")))]
        mask = np.isin(identities, labels[taken])
        by = "identity"
    else:
        mask = np.zeros(rows, dtype=bool)
        mask[rng.choice(rows, wanted, replace=False)] = True
        by = "row"
    held = identities[mask]
    _, held_counts = np.unique(held, return_counts=True)
    protocol = "identity" if (held_counts > 1).any() else "item"
    return HeldOutSplit(np.flatnonzero(~mask), np.flatnonzero(mask), by, protocol)


def heldout_retrieval(
    queries: np.ndarray, gallery: np.ndarray, identities: np.ndarray, protocol: str
) -> dict[str, float]:
    """mAP@100 and top-1 of ``queries`` (target space) against ``gallery`` (mapped rows).

    ``identity``: each row searches the others, its identity's other rows the positives
    (as an upgrade searches other items); ``item``: each row must find its own pair (all
    a set with one row per identity allows)."""
    if protocol == "identity":
        ranks = leave_one_out_ranks(queries, gallery, identities)
    else:
        rows = np.arange(len(identities))
        ranks = positive_ranks(queries, rows, gallery, rows)
    metrics = metrics_from_ranks(ranks)
    return {"map@100": round(metrics.map_at_100, 3), "top1": round(metrics.top1, 3)}


def retrieval_key(score: dict[str, float]) -> tuple[float, float]:
    """mAP@100 first, then top-1: the order candidates are ranked in."""
    return (round(score["map@100"], 2), round(score["top1"], 2))


Scorer = Callable[[Callable[[np.ndarray], np.ndarray]], dict[str, float]]


def heldout_scorer(source: np.ndarray, target: np.ndarray, identities: np.ndarray, split: HeldOutSplit) -> Scorer:
    """A function scoring any map (source rows to target space) on the held-out rows."""
    held_source, held_target = source[split.held_out], target[split.held_out]
    held_identities = identities[split.held_out]

    def score(mapping: Callable[[np.ndarray], np.ndarray]) -> dict[str, float]:
        return heldout_retrieval(held_target, mapping(held_source), held_identities, split.protocol)

    return score

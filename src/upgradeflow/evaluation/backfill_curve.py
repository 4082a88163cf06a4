"""Backfill curves: retrieval quality at each backfilled fraction of the gallery.

At fraction f the first f·N items of the backfill order hold new-model features and the
rest their old (or evolved) ones. The new part is searched with the new query and the
rest with ``rest_queries`` (the same new query for naive mixing or an evolved gallery,
the old model's query or rho(φ_n(q)) for rank merge); both are merged by similarity,
which ranks exactly as merging each part's top-K lists does (``rank_merge``).
"""

from __future__ import annotations

import numpy as np

from upgradeflow.backfill.calibration import ScoreCalibration
from upgradeflow.evaluation.metrics import answered_ranks, average_precision, negative_flip_rate, top1_correct
from upgradeflow.evaluation.ranking import score_ranks

CUTOFF = 100  # a curve reads AP@100 and top-1 only, so ranks below 100 need not be exact

FRACTIONS = tuple(round(0.1 * i, 1) for i in range(11))


def backfill_curve(
    new_queries: np.ndarray,
    rest_queries: np.ndarray,
    new_gallery: np.ndarray,
    rest_gallery: np.ndarray,
    query_labels: np.ndarray,
    gallery_labels: np.ndarray,
    order: np.ndarray,
    old_correct: np.ndarray,
    fractions: tuple[float, ...] = FRACTIONS,
    new_calibration: ScoreCalibration | None = None,
    rest_calibration: ScoreCalibration | None = None,
    excluded: np.ndarray | None = None,
    per_query: bool = False,
    products: tuple[np.ndarray | None, np.ndarray | None] = (None, None),
    cutoff: int = CUTOFF,
) -> dict:
    """mAP@cutoff (``map@100`` by default), top-1 and negative flips (against the old
    system's top-1) per fraction; the calibrations put both parts' scores on one scale
    before merging. ``excluded`` leaves each query's own gallery row out (a set searching
    itself). ``per_query`` adds ``ap@<cutoff>``: each answered query's AP per fraction
    (fractions x queries, as fractions of one), from which the uncertainty of the curve
    can be resampled.
    ``products`` are the two parts' raw inner products when the caller has them already
    (curves of one set of rows share them: only the calibrations and the order differ).

    Both parts are scored against every gallery item once; each fraction then takes the
    newly backfilled items' scores from the new part (the fractions grow, so each step
    adds to the last), so a curve costs two products, not one per fraction, and each
    fraction ranks only as deep as AP@cutoff reads."""
    new_raw, rest_raw = products
    new_raw = new_queries @ np.asarray(new_gallery).T if new_raw is None else new_raw
    rest_raw = rest_queries @ np.asarray(rest_gallery).T if rest_raw is None else rest_raw
    new_scores = (new_calibration or ScoreCalibration())(new_raw)
    merged = np.array((rest_calibration or ScoreCalibration())(rest_raw), copy=True)
    metric = f"map@{cutoff}"
    curve: dict[str, list] = {"fractions": list(fractions), metric: [], "top1": [], "negative_flip_rate": []}
    per_query_ap = []
    if list(fractions) != sorted(fractions):
        raise ValueError(f"backfilled fractions must ascend, got {fractions}")
    backfilled = 0
    for fraction in fractions:
        count = round(fraction * len(order))
        merged[:, order[backfilled:count]] = new_scores[:, order[backfilled:count]]
        backfilled = count
        ranks = score_ranks(merged, query_labels, gallery_labels, excluded, depth=cutoff)
        answered = answered_ranks(ranks)
        precision = [average_precision(r, cutoff) for r in answered]
        curve[metric].append(round(100 * float(np.mean(precision)), 3))
        curve["top1"].append(round(100 * float(np.mean([r[0] <= 1 for r in answered])), 3))
        curve["negative_flip_rate"].append(round(negative_flip_rate(old_correct, top1_correct(ranks)), 3))
        if per_query:
            per_query_ap.append(precision)
    if per_query:
        return curve | {f"ap@{cutoff}": np.asarray(per_query_ap)}
    return curve


def summarise_curve(curve: dict, old_old: float, new_new: float, target: float = 0.95, metric: str = "map@100") -> dict:
    """AUC (mean over fractions), normalised AUC = (AUC - old/old) / (new/new - old/old),
    the largest drop between steps, and the fraction reaching ``target`` of new/new."""
    values = np.asarray(curve[metric])
    auc = float(values.mean())
    gap = new_new - old_old
    return {
        "auc": round(auc, 3),
        "normalised_auc": round((auc - old_old) / gap, 4) if gap > 0 else None,
        "largest_drop": round(float(max(0.0, (values[:-1] - values[1:]).max(initial=0.0))), 3),
        f"fraction_to_{round(100 * target)}pct": fraction_reaching(curve["fractions"], values, target * new_new),
    }


def fraction_reaching(fractions: list[float], values: np.ndarray, level: float) -> float | None:
    """The first backfilled fraction at which the curve reaches ``level``, interpolated
    linearly between steps; None when it never does."""
    for i, value in enumerate(values):
        if value >= level:
            if i == 0:
                return 0.0
            low, high = values[i - 1], value
            return round(fractions[i - 1] + (fractions[i] - fractions[i - 1]) * (level - low) / (high - low), 4)
    return None

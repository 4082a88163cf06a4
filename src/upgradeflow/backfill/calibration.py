"""Put two spaces' similarities on one scale before a backfill merges them.

During a backfill the re-extracted items are scored in the new space and the rest in
another (the evolved gallery, or the old space through rho). Cosines of two spaces that
were never calibrated against each other are not comparable: when one space scores its
negatives higher than the other scores its positives, every item moved into it pushes
positives down, and the backfill curve drops although each item got better. Mapping
each space's cosine to the log-odds that the pair shares an identity (a one-dimensional
logistic fit on held-out training pairs, Platt scaling) makes the merge compare like
with like. The map is affine, so it keeps every ranking within a part.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

MAX_PAIRS = 100_000  # of each kind, positive and negative: plenty for two parameters


@dataclass(frozen=True)
class ScoreCalibration:
    """``scale * score + shift``: one space's cosine in another's units. Scale and shift
    are numbers, or arrays with one value per query (a calibration of each query's own
    scores)."""

    scale: float | np.ndarray = 1.0
    shift: float | np.ndarray = 0.0

    def __call__(self, scores: np.ndarray) -> np.ndarray:
        return _per_row(self.scale) * np.asarray(scores) + _per_row(self.shift)

    def onto(self, reference: ScoreCalibration) -> ScoreCalibration:
        """This space's scores on ``reference``'s cosine scale: equal log-odds, equal score."""
        return ScoreCalibration(self.scale / reference.scale, (self.shift - reference.shift) / reference.scale)

    def to_dict(self) -> dict:
        return {key: round(float(value), 6) for key, value in asdict(self).items()}


def _per_row(value: float | np.ndarray) -> float | np.ndarray:
    return value[:, None] if isinstance(value, np.ndarray) else value


def tail_standardised(
    queries: np.ndarray, reference: np.ndarray, low: float = 0.9, high: float = 0.999
) -> ScoreCalibration:
    """Each query's scores in units of its own upper tail over ``reference`` rows of the
    same space: (s - q_low) / (q_high - q_low), with q the quantiles of the query's
    scores against the reference. One query can score everything high in one space and
    low in the other (hubs, a query far from the data), which no calibration of a whole
    space can see. The tail, not the bulk, is aligned, because results are drawn from
    the tail: matching means and spreads lined up the bulk and let one space's best
    negatives outrank the other's positives. The reference is a fixed sample of items,
    not the gallery, so the calibration does not move as items change parts."""
    scores = queries @ reference.T
    floor, top = np.quantile(scores, low, axis=1), np.quantile(scores, high, axis=1)
    spread = np.maximum(top - floor, 1e-6)
    return ScoreCalibration(1.0 / spread, -floor / spread)


@dataclass(frozen=True)
class CalibrationPairs:
    """Which (query row, gallery row) pairs of one labelled set calibrate the spaces:
    a sample of the positive pairs and of the negatives, the same pairs in every space."""

    rows: np.ndarray
    columns: np.ndarray
    positive: np.ndarray

    @classmethod
    def of(cls, labels: np.ndarray, seed: int = 0) -> CalibrationPairs | None:
        """None when no two rows share a label: without a positive pair there is nothing
        to calibrate against."""
        labels = np.asarray(labels)
        same = labels[:, None] == labels[None, :]
        np.fill_diagonal(same, False)
        rows, columns = np.nonzero(same)
        if not len(rows):
            return None
        rng = np.random.default_rng(seed)
        if len(rows) > MAX_PAIRS:
            taken = np.sort(rng.choice(len(rows), MAX_PAIRS, replace=False))
            rows, columns = rows[taken], columns[taken]
        count = len(labels)
        neg_rows, neg_columns = rng.integers(0, count, MAX_PAIRS), rng.integers(0, count, MAX_PAIRS)
        keep = labels[neg_rows] != labels[neg_columns]
        positive = np.concatenate([np.ones(len(rows), bool), np.zeros(int(keep.sum()), bool)])
        return cls(np.concatenate([rows, neg_rows[keep]]), np.concatenate([columns, neg_columns[keep]]), positive)

    def calibration(self, queries: np.ndarray, gallery: np.ndarray) -> ScoreCalibration:
        """The log-odds map of the space where ``queries`` search ``gallery``."""
        scores = np.einsum("ij,ij->i", queries[self.rows], gallery[self.columns])
        return fit_log_odds(scores, self.positive)


def fit_log_odds(scores: np.ndarray, positive: np.ndarray, steps: int = 50) -> ScoreCalibration:
    """One-dimensional logistic regression by Newton's method: P(positive | s) =
    sigmoid(scale * s + shift). Scores are standardised first so the steps are well
    conditioned; a tiny ridge keeps a perfectly separated set finite."""
    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(positive, dtype=np.float64)
    mean, spread = s.mean(), max(s.std(), 1e-6)
    x = np.stack([(s - mean) / spread, np.ones_like(s)], axis=1)
    w = np.zeros(2)
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(x @ w)))
        gradient = x.T @ (p - y) + 1e-3 * w
        hessian = (x * (p * (1 - p))[:, None]).T @ x + 1e-3 * np.eye(2)
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    scale = w[0] / spread
    return ScoreCalibration(float(scale), float(w[1] - scale * mean))

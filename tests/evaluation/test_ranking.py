"""Ranks to a depth are the exact ranks wherever those are within the depth, ties and
excluded columns included, and ``inf`` below it: AP@depth and top-1 read the same."""

from __future__ import annotations

import numpy as np
import pytest

from upgradeflow.evaluation.metrics import average_precision
from upgradeflow.evaluation.ranking import score_ranks


def scored(rows: int = 40, columns: int = 500, labels: int = 12, seed: int = 0):
    rng = np.random.default_rng(seed)
    scores = np.round(rng.standard_normal((rows, columns)), 1).astype(np.float32)  # many ties
    return scores, rng.integers(0, labels + 2, rows), rng.integers(0, labels, columns)


@pytest.mark.parametrize("depth", [1, 5, 100, 499, 500, 10_000])
def test_ranks_to_a_depth_are_the_exact_ranks_cut_there(depth):
    scores, query_labels, gallery_labels = scored()
    full = score_ranks(scores.copy(), query_labels, gallery_labels)
    cut = score_ranks(scores.copy(), query_labels, gallery_labels, depth=depth)
    assert any(len(r) == 0 for r in full)  # labels 12 and 13 have no positive
    for exact, shallow in zip(full, cut, strict=True):
        np.testing.assert_array_equal(np.where(exact <= depth, exact, np.inf), shallow)
        if len(exact):
            assert average_precision(shallow, depth) == pytest.approx(average_precision(exact, depth))


def test_excluded_columns_stay_out_at_any_depth():
    scores, _, _ = scored(rows=30, columns=30)
    labels = np.arange(30) % 5
    own = np.arange(30)
    full = score_ranks(scores.copy(), labels, labels, excluded=own)
    cut = score_ranks(scores.copy(), labels, labels, excluded=own, depth=4)
    for exact, shallow in zip(full, cut, strict=True):
        assert len(exact) == 5  # its own row is no positive of itself
        np.testing.assert_array_equal(np.where(exact <= 4, exact, np.inf), shallow)

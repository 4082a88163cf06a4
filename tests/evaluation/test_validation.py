"""Embeddings are checked before they are searched, so a user's mistake is named
instead of surfacing as a wrong ranking or a crash deep in the search."""

from __future__ import annotations

import numpy as np
import pytest

from upgradeflow.errors import UserInputError
from upgradeflow.evaluation.validation import check_embeddings


def test_valid_embeddings_come_back_as_contiguous_float32():
    queries = np.arange(12, dtype=np.float64).reshape(3, 4)[:, ::2]  # a strided view
    checked, gallery = check_embeddings(queries, np.ones((5, 2)))
    assert checked.dtype == np.float32 and checked.flags["C_CONTIGUOUS"]
    np.testing.assert_array_equal(checked, queries)
    assert gallery.shape == (5, 2)


@pytest.mark.parametrize(
    ("queries", "gallery", "message"),
    [
        (np.ones(4), np.ones((3, 4)), r"query embeddings must be 2-D \[N, d\], got shape \(4,\)"),
        (np.ones((2, 4)), np.ones((0, 4)), "gallery embeddings are empty"),
        (np.array([[1.0, np.inf], [np.nan, 0.0], [1.0, 1.0]]), np.ones((3, 2)), "infinite values in 2 rows"),
        (np.ones((2, 4)), np.ones((3, 5)), "queries are 4-d, gallery is 5-d"),
    ],
    ids=["not-2d", "empty", "nan-and-inf", "dimensions"],
)
def test_mistakes_are_named(queries, gallery, message):
    with pytest.raises(UserInputError, match=message):
        check_embeddings(queries, gallery)

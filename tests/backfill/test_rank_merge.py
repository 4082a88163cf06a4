import numpy as np
import pytest

from upgradeflow.backfill.rank_merge import merged_top_k
from upgradeflow.errors import UserInputError


def unit(rng, *shape):
    x = rng.normal(size=shape).astype(np.float32)
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def test_merged_top_k_orders_by_similarity_and_keeps_backfilled_copies():
    new_scores = np.array([[0.9, 0.5, -np.inf]])
    new_ids = np.array([[10, 11, -1]])
    rest_scores = np.array([[0.95, 0.7, 0.6]])
    rest_ids = np.array([[11, 20, 21]])  # 11 is already backfilled: its stale entry must go
    scores, ids = merged_top_k(new_scores, new_ids, rest_scores, rest_ids, k=4)
    np.testing.assert_array_equal(ids, [[10, 20, 21, 11]])
    np.testing.assert_allclose(scores, [[0.9, 0.7, 0.6, 0.5]])


def test_merged_top_k_takes_string_ids_and_puts_padding_last():
    new_scores, new_ids = np.array([[0.8, -np.inf]]), np.array([["b", None]], dtype=object)
    rest_scores, rest_ids = np.array([[0.9, 0.8]]), np.array([["a", "b"]], dtype=object)
    scores, ids = merged_top_k(new_scores, new_ids, rest_scores, rest_ids, k=4)
    assert ids[0, :2].tolist() == ["a", "b"]
    assert scores[0, 1] == 0.8 and np.isneginf(scores[0, 2:]).all()


def test_parts_answering_different_queries_are_refused():
    with pytest.raises(UserInputError, match="different query counts"):
        merged_top_k(np.zeros((2, 1)), np.zeros((2, 1), int), np.zeros((3, 1)), np.zeros((3, 1), int), 1)

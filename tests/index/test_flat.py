import numpy as np
import pytest

from upgradeflow.evaluation.ranking import positive_ranks
from upgradeflow.index.flat import search


def test_faiss_search_agrees_with_brute_force():
    rng = np.random.default_rng(0)
    gallery = rng.standard_normal((1000, 32)).astype(np.float32)
    queries = rng.standard_normal((50, 32)).astype(np.float32)
    scores, positions = search(queries, gallery, 10)
    expected = np.argsort(-(queries @ gallery.T), axis=1)[:, :10]
    np.testing.assert_array_equal(positions, expected)
    np.testing.assert_allclose(scores, np.take_along_axis(queries @ gallery.T, expected, 1), rtol=1e-5)


def test_faiss_top1_agrees_with_positive_ranks():
    rng = np.random.default_rng(1)
    gallery = rng.standard_normal((300, 16)).astype(np.float32)
    queries = rng.standard_normal((40, 16)).astype(np.float32)
    labels = np.arange(300)
    _, positions = search(queries, gallery, 1)
    ranks = positive_ranks(queries, positions[:, 0], gallery, labels)
    assert all(r.tolist() == [1] for r in ranks)


def test_k_larger_than_gallery_returns_everything():
    gallery = np.eye(3, dtype=np.float32)
    _, positions = search(gallery[:1], gallery, 100)
    assert positions.shape == (1, 3) and positions[0, 0] == 0


def test_k_must_be_positive():
    with pytest.raises(ValueError):
        search(np.eye(2, dtype=np.float32), np.eye(2, dtype=np.float32), 0)

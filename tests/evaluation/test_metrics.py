"""Every metric against an independent computation: scikit-learn's average precision
and a brute-force numpy ranking (a full stable sort per query)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import average_precision_score

from upgradeflow.errors import UserInputError
from upgradeflow.evaluation.metrics import negative_flip_rate, retrieval_metrics, top1_correct
from upgradeflow.evaluation.ranking import positive_ranks


def brute_force(queries, query_labels, gallery, gallery_labels) -> dict:
    """Rank the whole gallery per query by a stable sort of -score (ties: gallery order)."""
    ap100, ap, top1, top5 = [], [], [], []
    for q, label in zip(queries, query_labels, strict=True):
        order = np.argsort(-(gallery.astype(np.float64) @ q.astype(np.float64)), kind="stable")
        rel = (gallery_labels[order] == label).astype(float)
        if rel.sum() == 0:
            continue
        precision = np.cumsum(rel) / np.arange(1, len(rel) + 1)
        ap.append((precision * rel).sum() / rel.sum())
        ap100.append((precision * rel)[:100].sum() / min(rel.sum(), 100))
        top1.append(rel[0])
        top5.append(rel[:5].max())
    return {k: 100 * float(np.mean(v)) for k, v in {"map@100": ap100, "map": ap, "top1": top1, "top5": top5}.items()}


def random_problem(seed, n_gallery=500, n_queries=60, dim=16, classes=25):
    rng = np.random.default_rng(seed)
    centers = rng.standard_normal((classes, dim))
    gallery_labels = rng.integers(0, classes, n_gallery)
    query_labels = rng.integers(0, classes, n_queries)
    gallery = centers[gallery_labels] + 0.9 * rng.standard_normal((n_gallery, dim))
    queries = centers[query_labels] + 0.9 * rng.standard_normal((n_queries, dim))
    return queries.astype(np.float32), query_labels, gallery.astype(np.float32), gallery_labels


@pytest.mark.parametrize("seed", range(5))
def test_metrics_match_brute_force_on_random_data(seed):
    problem = random_problem(seed)
    ours = retrieval_metrics(*problem).to_dict()
    reference = brute_force(*problem)
    for key, value in reference.items():
        assert ours[key] == pytest.approx(value, abs=1e-9), key


@pytest.mark.parametrize("seed", range(3))
def test_full_map_matches_scikit_learn(seed):
    queries, query_labels, gallery, gallery_labels = random_problem(seed)
    scores = queries.astype(np.float64) @ gallery.T.astype(np.float64)
    expected = np.mean(
        [
            average_precision_score(gallery_labels == label, row)
            for label, row in zip(query_labels, scores, strict=True)
            if (gallery_labels == label).any()
        ]
    )
    assert retrieval_metrics(queries, query_labels, gallery, gallery_labels).map == pytest.approx(
        100 * expected, abs=1e-6
    )


def test_ties_are_broken_by_gallery_order():
    # Exactly representable scores: many gallery items tie with each other.
    rng = np.random.default_rng(7)
    gallery = rng.integers(-2, 3, size=(300, 4)).astype(np.float32)
    queries = rng.integers(-2, 3, size=(40, 4)).astype(np.float32)
    gallery_labels = rng.integers(0, 6, 300)
    query_labels = rng.integers(0, 6, 40)
    ours = retrieval_metrics(queries, query_labels, gallery, gallery_labels).to_dict()
    reference = brute_force(queries, query_labels, gallery, gallery_labels)
    for key, value in reference.items():
        assert ours[key] == pytest.approx(value, abs=1e-9), key


def test_all_identical_gallery_puts_earlier_items_first():
    gallery = np.ones((5, 3), np.float32)
    ranks = positive_ranks(np.ones((1, 3), np.float32), np.array([1]), gallery, np.array([0, 0, 1, 0, 1]))
    np.testing.assert_array_equal(ranks[0], [3, 5])


def test_queries_without_positives_are_excluded_and_counted():
    queries, query_labels, gallery, gallery_labels = random_problem(1)
    query_labels = query_labels.copy()
    query_labels[:10] = 999  # no gallery item has this identity
    ours = retrieval_metrics(queries, query_labels, gallery, gallery_labels)
    assert ours.queries_without_positives == 10 and ours.queries == 50
    assert ours.map_at_100 == pytest.approx(brute_force(queries, query_labels, gallery, gallery_labels)["map@100"])


def test_no_query_with_positives_is_an_error():
    queries, _, gallery, gallery_labels = random_problem(2)
    with pytest.raises(UserInputError, match="no query has a positive"):
        retrieval_metrics(queries, np.full(len(queries), -1), gallery, gallery_labels)


def test_cutoff_larger_than_gallery():
    # 3 gallery items, cutoff 100: AP@100 normalises by min(n_pos, 100) = n_pos.
    gallery = np.array([[1, 0], [0.5, 0.5], [0, 1]], np.float32)
    metrics = retrieval_metrics(np.array([[1, 0]], np.float32), np.array([1]), gallery, np.array([0, 1, 1]))
    assert metrics.map_at_100 == pytest.approx(100 * (1 / 2 + 2 / 3) / 2)
    assert metrics.top1 == 0 and metrics.top5 == 100


def test_perfect_and_worst_rankings():
    gallery = np.eye(4, dtype=np.float32)
    labels = np.arange(4)
    assert retrieval_metrics(gallery, labels, gallery, labels).map_at_100 == 100
    worst = retrieval_metrics(-gallery, labels, gallery, labels)  # own item scores lowest (-1)
    assert worst.top1 == 0 and worst.map == pytest.approx(25.0)


def test_negative_flips():
    before = np.array([True, True, False, False])
    after = np.array([True, False, True, False])
    assert negative_flip_rate(before, after) == 25.0
    ranks = [np.array([1, 4]), np.array([2]), np.array([], dtype=np.int64)]
    np.testing.assert_array_equal(top1_correct(ranks), [True, False, False])


def test_dimension_mismatch_and_nan_are_user_errors():
    queries, query_labels, gallery, gallery_labels = random_problem(3)
    with pytest.raises(UserInputError, match="dimension mismatch"):
        retrieval_metrics(queries[:, :8], query_labels, gallery, gallery_labels)
    queries[3, 2] = np.nan
    with pytest.raises(UserInputError, match="NaN"):
        retrieval_metrics(queries, query_labels, gallery, gallery_labels)


def test_shallow_metrics_read_only_the_top_ranks():
    import numpy as np

    from upgradeflow.evaluation.metrics import shallow_metrics

    ranks = [np.array([1.0, 3.0, np.inf]), np.array([2.0, np.inf]), np.array([])]  # the last has no positive
    map_at_2, top1 = shallow_metrics(ranks, cutoff=2)
    assert top1 == 50.0
    assert map_at_2 == (100 * (1 / 2) + 100 * (0.5 / 2)) / 2  # AP@2 over min(positives, 2)

import numpy as np
import pytest

from upgradeflow.evaluation.matrix import evaluate_pairs, flip_rates, is_compatible


def test_matrix_pairs_and_criterion():
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(20), 5)
    old = rng.standard_normal((20, 8))[labels] + 0.8 * rng.standard_normal((100, 8))
    unrelated = rng.standard_normal((100, 8))
    old /= np.linalg.norm(old, axis=1, keepdims=True)  # unit vectors, as models produce
    unrelated /= np.linalg.norm(unrelated, axis=1, keepdims=True)
    query_emb = {"old": old[::5], "new": unrelated[::5]}
    gallery_emb = {"old": old, "new": unrelated}
    matrix, correct = evaluate_pairs(query_emb, gallery_emb, labels[::5], labels, ["old/old", "new/old", "new/new"])
    assert set(matrix) == {"old/old", "new/old", "new/new"}
    # Each query is in the gallery, so old/old and new/new find it first.
    assert matrix["old/old"]["top1"] == 100 and matrix["new/new"]["top1"] == 100
    assert matrix["new/old"]["map@100"] < matrix["old/old"]["map@100"]
    assert not is_compatible(matrix)
    flips = flip_rates(correct)
    assert set(flips) == {"new/old", "new/new"}
    # Every query was right under old/old, so each query a pair gets wrong is a flip.
    assert flips["new/new"] == 0.0
    assert flips["new/old"] == pytest.approx(100 - matrix["new/old"]["top1"]) and flips["new/old"] > 0

    better = {**matrix, "new/old": {k: v + 1 for k, v in matrix["old/old"].items()}}
    assert is_compatible(better)

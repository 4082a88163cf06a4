import numpy as np
import pytest

from upgradeflow.backfill.reverse_adapter import ReverseConfig, fit_reverse_adapter
from upgradeflow.errors import UserInputError
from upgradeflow.evaluation.metrics import metrics_from_ranks
from upgradeflow.evaluation.ranking import score_ranks
from upgradeflow.models.adapter import apply_adapter


def normalised(x):
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def two_spaces(identities, per_identity, seed):
    """A discriminative new space and a crowded old one: every old feature leans on one
    shared direction, so old-space similarities are high for any pair, as with a weak
    old model, and sit on another scale than the new model's."""
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(identities), per_identity)
    centres = rng.normal(size=(identities, 16))
    new = normalised(centres[labels] + 0.4 * rng.normal(size=(len(labels), 16)))
    mixing = rng.normal(size=(16, 16))
    shared = np.zeros(16)
    shared[0] = 6.0
    old = normalised(shared + centres[labels] @ mixing * 0.3 + 0.6 * rng.normal(size=(len(labels), 16)))
    return new, old, labels


def half_backfilled_map(config):
    train_new, train_old, train_labels = two_spaces(60, 10, seed=0)
    test_new, test_old, test_labels = two_spaces(40, 10, seed=1)  # open set: unseen identities
    rho = fit_reverse_adapter(train_new, train_old, train_labels, config)
    queries = np.arange(0, len(test_labels), 10)
    gallery = np.setdiff1d(np.arange(len(test_labels)), queries)
    done, rest = gallery[::2], gallery[1::2]
    scores = np.concatenate(
        [test_new[queries] @ test_new[done].T, apply_adapter(rho, test_new[queries]) @ test_old[rest].T], axis=1
    )
    labels = np.concatenate([test_labels[done], test_labels[rest]])
    return metrics_from_ranks(score_ranks(scores, test_labels[queries], labels)).map_at_100


def test_metric_compatible_rho_merges_far_better_than_regression_alone():
    regression = half_backfilled_map(ReverseConfig(loss="cosine", epochs=30, batch_size=200))
    metric = half_backfilled_map(ReverseConfig(loss="metric", epochs=30, batch_size=200))
    assert metric > regression + 15, (metric, regression)


def deviation_from_orthonormal(orthogonality):
    new, old, labels = two_spaces(20, 5, seed=0)
    rho = fit_reverse_adapter(new, old, labels, ReverseConfig(orthogonality=orthogonality, epochs=40, batch_size=50))
    assert len(rho.net) == 1  # one linear map
    weight = rho.net[0].weight.detach().numpy()
    return np.abs(weight @ weight.T - np.eye(16)).max()


def test_orthogonality_penalty_keeps_rho_near_orthonormal():
    assert deviation_from_orthonormal(10.0) < 0.05 < 0.2 < deviation_from_orthonormal(1e-6)


def test_misconfiguration_and_unpaired_rows_are_refused():
    with pytest.raises(UserInputError, match="unknown reverse loss 'l1'"):
        ReverseConfig(loss="l1")
    with pytest.raises(UserInputError, match="paired row by row"):
        fit_reverse_adapter(np.zeros((3, 4)), np.zeros((2, 4)), np.zeros(3))

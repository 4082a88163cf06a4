"""Heads on cached backbone features, on a synthetic upgrade where the answer is known:
identities are points on a sphere; the old encoder sees them through one rotation and
noise, the new backbone through another, wider one with less noise."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from upgradeflow.errors import UserInputError
from upgradeflow.evaluation.matrix import evaluate_pairs
from upgradeflow.methods.heads import HeadConfig, orthogonality_penalty, train_head
from upgradeflow.methods.registry import METHODS
from upgradeflow.models.adapter import apply_adapter
from upgradeflow.training.loop import TrainConfig

CONFIG = TrainConfig(epochs=8, batch_size=64, augment=False, device="cpu")


def unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def upgrade(identities: int = 60, per_identity: int = 6, seed: int = 0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(identities, 16))
    labels = np.repeat(np.arange(identities), per_identity)
    latent = centres[labels] + 0.35 * rng.normal(size=(len(labels), 16))
    old = unit(latent @ rng.normal(size=(16, 12)) + 0.6 * rng.normal(size=(len(labels), 12)))
    new = unit(latent @ rng.normal(size=(16, 24)) + 0.2 * rng.normal(size=(len(labels), 24)))
    return old, new, labels


def new_old_map(head, old, new, labels, train) -> float:
    query, gallery = ~train & (np.arange(len(labels)) % 3 == 0), ~train & (np.arange(len(labels)) % 3 != 0)
    matrix, _ = evaluate_pairs(
        {"new": apply_adapter(head, new[query])}, {"old": old[gallery]}, labels[query], labels[gallery], ["new/old"]
    )
    return matrix["new/old"]["map@100"]


@pytest.fixture(scope="module")
def data():
    old, new, labels = upgrade()
    train = labels < 40
    return old, new, labels, train


@pytest.fixture(scope="module")
def heads(data):
    old, new, labels, train = data
    return {name: train_head(METHODS[name], new[train], old[train], labels[train], CONFIG, progress=False)
            for name in ("independent", "bct", "dmu", "lambda-orthogonal")}  # fmt: skip


def test_every_head_serves_the_old_dimension_with_a_forward_adapter(heads, data):
    old, _new, _labels, train = data
    for name, trained in heads.items():
        assert trained.head.config.out_dim == old.shape[1], name
        assert trained.adapter.config.in_dim == trained.adapter.config.out_dim == old.shape[1], name
        assert trained.train_embeddings.shape == (train.sum(), old.shape[1]), name
    assert heads["dmu"].adapter_source == "joint, refined"
    assert heads["bct"].adapter_source == "post-hoc"


def test_compatible_heads_search_the_old_gallery_and_the_independent_one_cannot(heads, data):
    old, new, labels, train = data
    scores = {name: new_old_map(trained.head, old, new, labels, train) for name, trained in heads.items()}
    for name in ("bct", "dmu", "lambda-orthogonal"):
        assert scores[name] > scores["independent"] + 10, scores


def test_the_lambda_orthogonal_head_is_affine_and_stays_near_orthogonal(heads):
    head = heads["lambda-orthogonal"].head
    assert head.config.depth == 1
    assert heads["lambda-orthogonal"].details["orthogonality_excess"] < 0.5


def test_a_stronger_orthogonality_weight_keeps_the_head_closer_to_orthogonal(data):
    old, new, labels, train = data
    method = METHODS["lambda-orthogonal"]
    excess = {
        weight: train_head(method, new[train], old[train], labels[train], CONFIG, HeadConfig(orthogonality=weight),
                           progress=False).details["orthogonality_excess"]
        for weight in (0.0, 10.0)
    }  # fmt: skip
    assert excess[10.0] < excess[0.0]


def test_orthogonality_penalty_is_zero_for_orthonormal_rows_or_columns():
    rows = torch.linalg.qr(torch.randn(8, 3))[0]  # 8x3, orthonormal columns
    assert float(orthogonality_penalty(rows)) < 1e-10
    assert float(orthogonality_penalty(rows.T)) < 1e-10
    assert float(orthogonality_penalty(2 * rows)) == pytest.approx(9.0, rel=1e-5)  # (4 - 1)^2 per dimension


def test_a_method_without_a_head_form_or_unpaired_rows_are_refused(data):
    old, new, labels, _train = data
    with pytest.raises(UserInputError, match="cannot train a head"):
        train_head(METHODS["sfsc"], new, old, labels, CONFIG, progress=False)
    with pytest.raises(UserInputError, match="paired row by row"):
        train_head(METHODS["bct"], new[:10], old, labels, CONFIG, progress=False)

"""Training a method against a frozen old model: every method ends with a new model and
a forward adapter for its gallery, joint (DMU) or fitted afterwards (the others)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from tests.training.test_loop import TINY, toy_images
from upgradeflow.data.image_set import ImageSet
from upgradeflow.methods.registry import METHODS
from upgradeflow.methods.trainers import (
    PostHocAdapter,
    evolve,
    old_model_for,
    registered_old_model,
    train_method,
    train_old_model,
    weight_summary,
)
from upgradeflow.training.loop import TrainConfig

CONFIG = TrainConfig(epochs=2, batch_size=16, learning_rate=1e-2, augment=False, device="cpu")
SMALL_ADAPTER = PostHocAdapter(hidden=16, epochs=2)


@pytest.fixture(scope="module")
def setting():
    """Four identities; the old model trained on the first two only."""
    images, labels = toy_images(per_class=10)
    train = ImageSet(images, labels.astype(np.int64), np.array([f"i{n}" for n in range(len(labels))]),
                     np.full(len(labels), "train"), np.full(len(labels), "train"))  # fmt: skip
    old_train = train.with_identities(np.array([0, 1]))
    old = old_model_for(train_old_model(TINY, old_train, CONFIG, "old", progress=False), old_train, train)
    return train, old


def test_the_old_model_serves_every_training_identity(setting):
    train, old = setting
    assert old.classes.tolist() == [0, 1] and tuple(old.rows.shape) == (4, TINY.embedding_dim)
    assert old.train_features.shape == (len(train), TINY.embedding_dim)
    torch.testing.assert_close(old.rows.norm(dim=1), torch.ones(4))


def test_a_registered_old_model_has_class_means_for_rows(setting):
    """A registered model deploys no classifier: each identity's row is the normalised
    mean of its old embeddings, and no identity counts as seen."""
    train, old = setting
    registered = registered_old_model(old.model, train)
    assert registered.classes.tolist() == []
    mean = registered.train_features[train.identities == 3].mean(0)
    np.testing.assert_allclose(registered.rows[3].numpy(), mean / np.linalg.norm(mean), rtol=1e-5)


def test_a_method_without_a_joint_adapter_gets_one_fitted_afterwards(setting):
    train, old = setting
    trained = train_method(METHODS["independent"], TINY, train, old, CONFIG, False, "new", SMALL_ADAPTER)
    assert trained.adapter_source == "post-hoc" and trained.details == {} and trained.widths == {}
    assert trained.train_features.shape == (len(train), TINY.embedding_dim)
    assert evolve(trained.adapter, old.train_features).shape == trained.train_features.shape
    assert 0 <= trained.adapter_distance <= 2


@pytest.mark.parametrize(("refine_epochs", "source"), [(0, "joint"), (2, "joint, refined")])
def test_dmu_trains_its_adapter_jointly_and_reports_its_weights(setting, refine_epochs, source):
    train, old = setting
    dmu = METHODS["dmu"]
    small = replace(dmu, dmu=replace(dmu.dmu, adapter_hidden=16, adapter_refine_epochs=refine_epochs))
    trained = train_method(small, TINY, train, old, CONFIG, False, "new", SMALL_ADAPTER)
    assert trained.adapter_source == source and trained.adapter.config.hidden_dim == 16
    assert set(trained.details["weights"]) == {"seen_mean", "unseen_mean", "quantiles"}


def test_weights_are_summarised_for_seen_and_unseen_identities():
    summary = weight_summary(np.array([0.9, 0.7, 0.2, 0.4]), np.array([1, 1, 2, 3]), np.array([1]))
    assert (summary["seen_mean"], summary["unseen_mean"]) == (0.8, 0.3)
    assert len(summary["quantiles"]) == 5 and summary["quantiles"] == sorted(summary["quantiles"])
    assert weight_summary(np.ones(2), np.array([5, 6]), np.array([], dtype=np.int64))["seen_mean"] is None

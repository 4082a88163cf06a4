import numpy as np
import pytest
import torch

from tests.training.test_loop import TINY, toy_images
from upgradeflow.compat.bct import old_classifier_rows
from upgradeflow.compat.dmu import DMUConfig, DMULoss, sample_weights
from upgradeflow.errors import UserInputError
from upgradeflow.models.embedder import EmbeddingModel
from upgradeflow.training.loop import TrainConfig, embed_images, train_embedding


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"weighting": "confidence"}, "unknown weighting 'confidence'"),
        ({"compat_loss": "l2"}, "unknown compatibility loss 'l2'"),
        ({"weight_temperature": 0}, "temperatures must be positive"),
        ({"lambda_bc": -1}, "must not be negative"),
        ({"adapter_refine_epochs": -1}, "refinement epochs must not be negative"),
    ],
)
def test_misconfiguration_is_rejected(changes, message):
    with pytest.raises(UserInputError, match=message):
        DMUConfig(**changes)


def agreement_after_training(compat_loss: str, lambda_fa: float) -> tuple[float, np.ndarray, np.ndarray]:
    """Mean cosine of ψ(old) to new features after a joint run; and the old features
    before and after it."""
    images, labels = toy_images()
    torch.manual_seed(0)  # the adapter's and the new model's initial weights
    config = TrainConfig(epochs=15, batch_size=16, learning_rate=1e-2, seed=0, device="cpu")
    old = train_embedding(EmbeddingModel(TINY), images, labels, 4, config, progress=False)
    old_features = embed_images(old.model, images)
    rows = old_classifier_rows(old.classifier.weight, np.arange(4), np.arange(4), old_features, labels)
    dmu = DMUConfig(compat_loss=compat_loss, adapter_hidden=32, lambda_fa=lambda_fa)
    loss = DMULoss(dmu, old.model, rows, sample_weights(old_features, labels, dmu), TINY.embedding_dim, 16.0)
    new = train_embedding(EmbeddingModel(TINY), images, labels, 4, config, loss, progress=False)
    with torch.no_grad():
        evolved = loss.adapter(torch.from_numpy(old_features))
    new_features = torch.from_numpy(embed_images(new.model, images))
    agreement = float(torch.nn.functional.cosine_similarity(evolved, new_features).mean())
    return agreement, old_features, embed_images(old.model, images)


@pytest.mark.parametrize("compat_loss", ["influence", "contrastive"])
def test_joint_adapter_learns_to_map_old_features_onto_new_ones(compat_loss):
    trained, before, after = agreement_after_training(compat_loss, lambda_fa=1.0)
    untrained, _, _ = agreement_after_training(compat_loss, lambda_fa=0.0)
    assert trained > 0.8 and trained > untrained + 0.3
    np.testing.assert_array_equal(before, after)  # the old model stayed frozen


def test_uniform_weighting_is_all_ones():
    features = np.eye(4, dtype=np.float32).repeat(2, axis=0)
    weights = sample_weights(features, np.repeat(np.arange(4), 2), DMUConfig(weighting="uniform"))
    np.testing.assert_array_equal(weights, np.ones(8, dtype=np.float32))

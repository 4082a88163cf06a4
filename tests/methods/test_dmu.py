import numpy as np
import pytest
import torch

from tests.training.test_loop import TINY, toy_images
from upgradeflow.errors import UserInputError
from upgradeflow.methods.bct import old_classifier_rows
from upgradeflow.methods.dmu import DMUConfig, DMULoss, sample_weights
from upgradeflow.models.cosine_classifier import CosineClassifier
from upgradeflow.models.embedder import EmbeddingModel
from upgradeflow.models.inference import embed_images
from upgradeflow.training.loop import Batch, StepOutputs, TrainConfig, train_embedding


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"weighting": "confidence"}, "unknown weighting 'confidence'"),
        ({"compat_loss": "l2"}, "unknown compatibility loss 'l2'"),
        ({"normalisation": "batch"}, "unknown normalisation 'batch'"),
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


@pytest.mark.parametrize(("normalisation", "expected_ratio"), [("weights", 1.0), ("samples", 0.1)])
def test_normalisation_decides_whether_small_weights_weaken_the_constraint(normalisation, expected_ratio):
    """Uniform weights of 0.1 leave the loss averaged by the weights unchanged, and scale
    the one averaged by the batch size down tenfold."""
    torch.manual_seed(0)
    model = EmbeddingModel(TINY)
    images, labels = toy_images()
    rows = torch.nn.functional.normalize(torch.randn(4, TINY.embedding_dim), dim=1)
    step = StepOutputs(
        Batch(torch.arange(len(images)), torch.from_numpy(images), torch.from_numpy(labels).long()),
        torch.randn(len(images), TINY.embedding_dim),
        CosineClassifier(TINY.embedding_dim, 4),
    )

    def loss_at(weight: float) -> float:
        config = DMUConfig(normalisation=normalisation, adapter=False)
        weights = np.full(len(images), weight, dtype=np.float32)
        return float(DMULoss(config, model, rows, weights, TINY.embedding_dim, 16.0)(step))

    assert loss_at(0.1) / loss_at(1.0) == pytest.approx(expected_ratio, rel=1e-5)

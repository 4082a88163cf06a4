import numpy as np
import pytest
import torch
import torch.nn.functional as F

from upgradeflow.methods.bct import influence_loss, influence_term, old_classifier_rows
from upgradeflow.models.cosine_classifier import CosineClassifier
from upgradeflow.training.loop import Batch, StepOutputs


def test_unseen_classes_get_class_means_of_old_features_never_trained_rows():
    rng = np.random.default_rng(0)
    old_rows = torch.randn(2, 4)
    features = rng.standard_normal((12, 4)).astype(np.float32)
    feature_classes = np.repeat([10, 20, 30, 40], 3)
    rows = old_classifier_rows(old_rows, np.array([10, 30]), np.array([10, 20, 30, 40]), features, feature_classes)
    torch.testing.assert_close(rows[0], F.normalize(old_rows[0], dim=0))
    torch.testing.assert_close(rows[2], F.normalize(old_rows[1], dim=0))
    for i, identity in ((1, 20), (3, 40)):
        expected = F.normalize(torch.from_numpy(features[feature_classes == identity].mean(0)), dim=0)
        torch.testing.assert_close(rows[i], expected)


def test_class_without_images_is_refused():
    with pytest.raises(ValueError, match="no training images"):
        old_classifier_rows(
            torch.randn(1, 4),
            np.array([1]),
            np.array([1, 2]),
            np.zeros((1, 4), np.float32),
            np.array([1]),
        )


def test_influence_loss_is_low_when_new_embeddings_sit_on_old_rows():
    rows = F.normalize(torch.randn(5, 8), dim=1)
    targets = torch.arange(5)
    assert influence_loss(rows, targets, rows, 16.0) < influence_loss(torch.roll(rows, 1, 0), targets, rows, 16.0)


def test_influence_term_weight_scales_the_loss_and_one_leaves_it_as_it_is():
    """λ is the trade-off knob the benchmark sweeps; λ = 1 must stay plain BCT."""
    rows = F.normalize(torch.randn(5, 8), dim=1)
    targets = torch.arange(5)
    step = StepOutputs(Batch(targets, torch.zeros(5, 1, 2, 2), targets), torch.randn(5, 8), CosineClassifier(8, 5))
    plain = influence_loss(step.embeddings, targets, rows, 16.0)
    assert torch.equal(influence_term(rows, 16.0)(step), plain)
    torch.testing.assert_close(influence_term(rows, 16.0, 2.5)(step), 2.5 * plain)

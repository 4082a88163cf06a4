import numpy as np
import pytest
import torch
from torch import nn

from tests.training.test_loop import toy_images
from upgradeflow.errors import UserInputError
from upgradeflow.methods.gradient_projection import project_conflicting
from upgradeflow.methods.sfsc import SFSCConfig, project_per_parameter, train_switchable
from upgradeflow.models.config import ModelConfig
from upgradeflow.models.inference import embed_images
from upgradeflow.models.switchable import SwitchableEmbeddingModel
from upgradeflow.training.loop import TrainConfig

CONFIG = ModelConfig(width=16, depth=3, embedding_dim=16, image_size=16)


@pytest.mark.parametrize(
    "sfsc",
    [
        SFSCConfig(),
        SFSCConfig(uncertainty_weighting=True),
        SFSCConfig(gradient_projection=False),
        SFSCConfig(distillation=0.0),
        SFSCConfig(distillation=0.0, cross_width_contrastive=1.0),
        SFSCConfig(full_width_output=False),
    ],
    ids=["default", "uncertainty", "no-projection", "no-distillation", "cross-width-contrastive", "sliced-output"],
)
def test_every_width_separates_classes_in_one_shared_space(sfsc):
    images, labels = toy_images()
    config = TrainConfig(epochs=15, batch_size=16, learning_rate=1e-2, seed=0, device="cpu")
    torch.manual_seed(0)  # initial weights: the 4-channel toy width can stall from an unlucky start
    family = SwitchableEmbeddingModel(CONFIG, sfsc.widths, full_width_output=sfsc.full_width_output)
    result = train_switchable(family, images, labels, 4, config, sfsc, progress=False)
    full = embed_images(family.sub_model(0), images)
    centroids = np.stack([full[labels == c].mean(0) for c in range(4)])
    for index, width in enumerate(sfsc.widths):
        # Narrow queries against the full width's class centres: one space for all widths.
        # The narrowest toy sub-model has 4 channels; chance is 0.25.
        features = embed_images(family.sub_model(index), images)
        accuracy = (np.argmax(features @ centroids.T, axis=1) == labels).mean()
        assert accuracy > (0.9 if width >= 0.5 else 0.7), (width, accuracy)
    if sfsc.uncertainty_weighting:
        assert result.log_variances is not None and any(abs(s) > 1e-3 for s in result.log_variances)
    else:
        assert result.log_variances is None
    if sfsc.gradient_projection:
        assert result.projected_steps is not None and 0 < result.projected_steps <= 1
    else:
        assert result.projected_steps is None


def test_distillation_pulls_narrow_embeddings_towards_the_full_width():
    images, labels = toy_images()
    config = TrainConfig(epochs=10, batch_size=16, learning_rate=1e-2, seed=0, device="cpu")
    agreement = {}
    for weight in (0.0, 1.0):
        sfsc = SFSCConfig(distillation=weight)
        torch.manual_seed(0)  # the same initial weights with and without the pull
        family = SwitchableEmbeddingModel(CONFIG, sfsc.widths)
        train_switchable(family, images, labels, 4, config, sfsc, progress=False)
        full, narrow = embed_images(family.sub_model(0), images), embed_images(family.sub_model(3), images)
        agreement[weight] = float((full * narrow).sum(1).mean())
    # The pull must remove a clear share of the narrow width's disagreement with the full one.
    assert 1 - agreement[1.0] < 0.75 * (1 - agreement[0.0]), agreement


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"distillation": -1.0}, "distillation"),
        ({"cross_width_contrastive": -0.5}, "contrastive weights"),
        ({"contrastive_temperature": 0.0}, "temperature"),
        ({"private_heads": True}, "sliced last layer"),
    ],
)
def test_contradictory_settings_are_refused(settings, message):
    with pytest.raises(UserInputError, match=message):
        SFSCConfig(**settings)


def test_projection_per_parameter_catches_a_conflict_that_the_whole_vector_hides():
    # Two widths agree strongly on one tensor and disagree slightly on another: over the
    # concatenation they agree, so a global projection would change nothing.
    agree, conflict = nn.Parameter(torch.zeros(2)), nn.Parameter(torch.zeros(2))
    width_a = [torch.tensor([3.0, 0.0]), torch.tensor([1.0, 0.0])]
    width_b = [torch.tensor([3.0, 0.0]), torch.tensor([-1.0, 1.0])]
    _, global_projections = project_conflicting([torch.cat(width_a), torch.cat(width_b)])
    assert global_projections == 0
    projections = project_per_parameter([width_a, width_b], [agree, conflict], torch.Generator().manual_seed(0))
    assert projections == 2
    torch.testing.assert_close(agree.grad, torch.tensor([6.0, 0.0]))
    torch.testing.assert_close(conflict.grad, torch.tensor([0.5, 1.5]))


def test_projection_per_parameter_treats_a_missing_gradient_as_zero():
    parameter = nn.Parameter(torch.zeros(2))
    projections = project_per_parameter(
        [[torch.tensor([1.0, 2.0])], [None]], [parameter], torch.Generator().manual_seed(0)
    )
    assert projections == 0
    torch.testing.assert_close(parameter.grad, torch.tensor([1.0, 2.0]))

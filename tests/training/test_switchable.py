import numpy as np
import pytest

from tests.training.test_loop import toy_images
from upgradeflow.errors import UserInputError
from upgradeflow.models.config import ModelConfig
from upgradeflow.models.switchable import SwitchableEmbeddingModel
from upgradeflow.training.loop import TrainConfig, embed_images
from upgradeflow.training.switchable import SFSCConfig, train_switchable

CONFIG = ModelConfig(width=16, depth=3, embedding_dim=16, image_size=16)


@pytest.mark.parametrize(
    "sfsc",
    [
        SFSCConfig(),
        SFSCConfig(uncertainty_weighting=False),
        SFSCConfig(gradient_projection=False),
        SFSCConfig(distillation=0.0),
    ],
    ids=["full", "no-uncertainty", "no-projection", "no-distillation"],
)
def test_every_width_separates_classes_in_one_shared_space(sfsc):
    images, labels = toy_images()
    config = TrainConfig(epochs=15, batch_size=16, learning_rate=1e-2, seed=0, device="cpu")
    family = SwitchableEmbeddingModel(CONFIG, sfsc.widths)
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
    if sfsc.gradient_projection:
        assert result.projected_steps is not None and 0 <= result.projected_steps <= 1
    else:
        assert result.projected_steps is None


def test_distillation_pulls_narrow_embeddings_towards_the_full_width():
    images, labels = toy_images()
    config = TrainConfig(epochs=10, batch_size=16, learning_rate=1e-2, seed=0, device="cpu")
    agreement = {}
    for weight in (0.0, 1.0):
        sfsc = SFSCConfig(distillation=weight)
        family = SwitchableEmbeddingModel(CONFIG, sfsc.widths)
        train_switchable(family, images, labels, 4, config, sfsc, progress=False)
        full, narrow = embed_images(family.sub_model(0), images), embed_images(family.sub_model(3), images)
        agreement[weight] = float((full * narrow).sum(1).mean())
    assert agreement[1.0] > agreement[0.0] + 0.02, agreement


def test_negative_distillation_weight_is_refused():
    with pytest.raises(UserInputError, match="distillation"):
        SFSCConfig(distillation=-1.0)

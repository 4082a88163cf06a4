import numpy as np
import pytest

from tests.training.test_loop import toy_images
from upgradeflow.models.config import ModelConfig
from upgradeflow.models.switchable import SwitchableEmbeddingModel
from upgradeflow.training.loop import TrainConfig, embed_images
from upgradeflow.training.switchable import SFSCConfig, train_switchable

CONFIG = ModelConfig(width=16, depth=3, embedding_dim=16, image_size=16)


@pytest.mark.parametrize(
    "sfsc",
    [SFSCConfig(), SFSCConfig(uncertainty_weighting=False), SFSCConfig(gradient_projection=False)],
    ids=["full", "no-uncertainty", "no-projection"],
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

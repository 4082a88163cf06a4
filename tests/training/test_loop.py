import numpy as np
import torch

from upgradeflow.models.config import ModelConfig
from upgradeflow.models.embedder import EmbeddingModel
from upgradeflow.models.inference import embed_images
from upgradeflow.training.loop import TrainConfig, train_embedding

TINY = ModelConfig(width=8, depth=3, embedding_dim=16, image_size=16)


def toy_images(seed=0, per_class=20, classes=4):
    """Each class is a bright square in its own quadrant."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 40, (classes * per_class, 16, 16)).astype(np.uint8)
    labels = np.repeat(np.arange(classes), per_class)
    for i, label in enumerate(labels):
        r, c = divmod(int(label), 2)
        images[i, r * 8 : r * 8 + 8, c * 8 : c * 8 + 8] = 250
    return images, labels


def train(seed):
    images, labels = toy_images()
    torch.manual_seed(seed)
    config = TrainConfig(epochs=6, batch_size=16, learning_rate=1e-2, seed=seed, augment=True)
    return (
        train_embedding(EmbeddingModel(TINY), images, labels, 4, config, progress=False),
        images,
        labels,
    )


def test_training_separates_classes():
    result, images, labels = train(0)
    embeddings = embed_images(result.model, images)
    centroids = np.stack([embeddings[labels == c].mean(0) for c in range(4)])
    nearest = np.argmax(embeddings @ centroids.T, axis=1)
    assert (nearest == labels).mean() > 0.95


def test_same_seed_same_weights():
    a, _, _ = train(3)
    b, _, _ = train(3)
    for key, value in a.model.state_dict().items():
        assert torch.equal(value, b.model.state_dict()[key]), key

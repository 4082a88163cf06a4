from __future__ import annotations

import numpy as np
import torch

from tests.encoders.helpers import random_image
from upgradeflow.encoders.builtin import BuiltinEncoder
from upgradeflow.models.checkpoint import load_model, save_model


def test_glyph_sized_images_embed_as_the_model_does(builtin_checkpoint):
    encoder = BuiltinEncoder(builtin_checkpoint)
    images = np.stack([random_image(np.random.default_rng(i), 32, 32) for i in range(5)])
    with torch.inference_mode():
        expected = load_model(builtin_checkpoint)(torch.from_numpy(images)[:, None].float() / 255).numpy()
    np.testing.assert_allclose(encoder.encode(list(images)), expected, atol=1e-6)
    assert (encoder.modality, encoder.dimension) == ("image", 16)


def test_any_image_is_brought_to_grey_32x32(builtin_checkpoint):
    vectors = BuiltinEncoder(builtin_checkpoint).encode([random_image(np.random.default_rng(0), 90, 70, 3)])
    assert vectors.shape == (1, 16)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1, rtol=1e-5)


def test_fingerprint_is_stable_and_follows_the_weights(builtin_checkpoint, tmp_path):
    first = BuiltinEncoder(builtin_checkpoint).fingerprint
    assert BuiltinEncoder(builtin_checkpoint).fingerprint == first
    model = load_model(builtin_checkpoint)
    with torch.no_grad():
        model.head.bias.add_(1.0)
    changed = save_model(model, tmp_path / "model.pt")
    assert BuiltinEncoder(changed).fingerprint != first

"""Embedding images for evaluation, registry, backfill and the service: the batch size
never changes the result, inputs are scaled to [0, 1] with a channel axis, and ``auto``
takes the CPU where there is no CUDA."""

from __future__ import annotations

import numpy as np
import torch

from tests.backfill.helpers import tiny_model
from upgradeflow.models.inference import embed_images, resolve_device, to_input


def test_batch_size_does_not_change_the_embeddings():
    images = np.random.default_rng(0).integers(0, 256, (37, 16, 16), dtype=np.uint8)
    model = tiny_model(0)
    whole = embed_images(model, images, batch_size=1024, device="cpu")
    assert whole.dtype == np.float32 and whole.shape == (37, 16)
    np.testing.assert_allclose(embed_images(model, images, batch_size=5, device="cpu"), whole, atol=1e-5)


def test_inputs_get_a_channel_and_unit_scale():
    tensor = to_input(np.full((2, 4, 4), 255, dtype=np.uint8), "cpu")
    assert tensor.shape == (2, 1, 4, 4) and tensor.dtype == torch.float32 and float(tensor.max()) == 1.0


def test_auto_is_cuda_only_where_there_is_cuda():
    assert resolve_device("auto") == ("cuda" if torch.cuda.is_available() else "cpu")
    assert resolve_device("cpu") == "cpu"

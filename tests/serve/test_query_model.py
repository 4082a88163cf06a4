"""The query model: raw images embedded for ``POST /search``, their dimensions checked
from the file header before a pixel is decoded."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
import torch
from PIL import Image

from tests.serve.helpers import png
from upgradeflow.errors import UserInputError
from upgradeflow.models.checkpoint import save_model
from upgradeflow.models.config import ModelConfig
from upgradeflow.models.embedder import EmbeddingModel
from upgradeflow.serve.query_model import decode_images, load_query_model, resolved_name


def encoded(pixels: np.ndarray, format: str) -> str:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format=format)
    return base64.b64encode(buffer.getvalue()).decode()


def test_png_and_jpeg_decode_to_grayscale_pixels():
    gradient = np.arange(64, dtype=np.uint8).reshape(8, 8) * 4
    colour = np.stack([gradient] * 3, axis=-1)
    images = decode_images([encoded(gradient, "PNG"), encoded(colour, "PNG"), encoded(gradient, "JPEG")], 8)
    assert images.shape == (3, 8, 8) and images.dtype == np.uint8
    np.testing.assert_array_equal(images[0], gradient)
    np.testing.assert_array_equal(images[1], gradient)  # grey RGB converts to the same values
    assert np.abs(images[2].astype(int) - gradient).max() < 8  # JPEG is lossy, not wrong


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not base64!", r"images\[1\]: not a base64-encoded image file"),
        (base64.b64encode(b"GIF89a" + bytes(40)).decode(), r"images\[1\]: not a PNG or JPEG file"),
        (base64.b64encode(png(9, 8)).decode(), r"images\[1\]: is 9x8, the model takes 8x8"),
        (base64.b64encode(png(8, 8, rows=2)).decode(), r"images\[1\]: cannot be decoded"),
    ],
    ids=["base64", "gif", "size", "truncated"],
)
def test_each_refusal_names_the_image(text, message):
    with pytest.raises(UserInputError, match=message):
        decode_images([base64.b64encode(png(8, 8)).decode(), text], 8)


def test_a_checkpoint_is_its_own_resolved_name_and_embeds_to_its_dimension(tmp_path):
    torch.manual_seed(0)
    checkpoint = str(
        save_model(EmbeddingModel(ModelConfig(width=8, depth=2, embedding_dim=12, image_size=8)), tmp_path / "m")
    )
    assert resolved_name(checkpoint) == checkpoint
    model = load_query_model(checkpoint, resolved_name(checkpoint))
    assert (model.dimension, model.image_size) == (12, 8)
    assert model.describe() == {"uri": checkpoint, "resolved": checkpoint, "dimension": 12}
    embeddings = model.embed(np.zeros((3, 8, 8), np.uint8))
    assert embeddings.shape == (3, 12)
    np.testing.assert_allclose(np.linalg.norm(embeddings, axis=1), 1.0, rtol=1e-5)

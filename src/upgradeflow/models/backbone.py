"""Small stride-2 CNN backbones."""

from __future__ import annotations

from torch import Tensor, nn

from upgradeflow.models.config import ModelConfig


def layer_strides(config: ModelConfig) -> list[int]:
    """Stride 2 on the first layers until the map is 4x4 (the bulk of the speed on CPU)."""
    strides: list[int] = []
    size = config.image_size
    for _ in range(config.depth):
        stride = 2 if size > 4 else 1
        size //= stride
        strides.append(stride)
    return strides


class ConvBackbone(nn.Module):
    """Conv-BN-ReLU layers of constant width (the last may differ), then global average pooling."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        in_channels = config.in_channels
        strides = layer_strides(config)
        for i, stride in enumerate(strides):
            out_channels = config.last_width if i == len(strides) - 1 else config.width
            layers += [
                nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False),
                nn.BatchNorm2d(out_channels),
                nn.ReLU(inplace=True),
            ]
            in_channels = out_channels
        self.features = nn.Sequential(*layers)
        self.out_channels = in_channels

    def forward(self, images: Tensor) -> Tensor:
        return self.features(images).mean(dim=(2, 3))

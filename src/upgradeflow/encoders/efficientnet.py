"""An ImageNet-pretrained EfficientNet-Lite as a frozen image encoder.

The vector is the globally average-pooled output of the head convolution (1280-d), the
feature every transfer-learning recipe for these networks starts from. Pixels are
normalised as the TensorFlow checkpoints were trained, ``(pixel - 127) / 128``, and the
network is built for the resolution actually fed, so its "SAME" padding is TensorFlow's.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from upgradeflow.encoders.base import Encoder, fingerprint
from upgradeflow.encoders.images import image_batch
from upgradeflow.errors import UserInputError
from upgradeflow.models.checkpoint import load_weights

PIXEL_MEAN = 127.0
PIXEL_STD = 128.0
NATIVE_RESOLUTION = {"efficientnet-lite0": 224, "efficientnet-lite1": 240, "efficientnet-lite2": 260,
                     "efficientnet-lite3": 280, "efficientnet-lite4": 300}  # fmt: skip


def architecture_of(weights: Path) -> str:
    """The architecture a weights file is named after (``efficientnet-lite2-....pth``)."""
    match = re.match(r"(efficientnet-lite\d)", weights.name)
    if match is None or match.group(1) not in NATIVE_RESOLUTION:
        raise UserInputError(f"{weights}: cannot tell which EfficientNet-Lite it holds; pass the architecture")
    return match.group(1)


class EfficientNetLiteEncoder(Encoder):
    kind = "efficientnet-lite"
    modality = "image"

    def __init__(self, weights: str | Path, architecture: str | None = None, resolution: int | None = None) -> None:
        from efficientnet_lite_pytorch import EfficientNet

        path = Path(weights)
        if not path.is_file():
            raise UserInputError(f"{path}: no such weights file")
        architecture = architecture or architecture_of(path)
        if architecture not in NATIVE_RESOLUTION:
            raise UserInputError(f"unknown architecture '{architecture}' (choose from: {', '.join(NATIVE_RESOLUTION)})")
        self.resolution = resolution or NATIVE_RESOLUTION[architecture]
        self.network = EfficientNet.from_name(architecture, image_size=self.resolution)
        try:
            load_weights(self.network, path)
        except ValueError as error:
            raise UserInputError(f"{path}: {error}") from None
        self.network.eval()
        self.dimension = int(self.network._bn1.num_features)
        self.source = str(path)
        self.preprocessing = {
            "architecture": architecture,
            "channels": 3,
            "size": self.resolution,
            "resize": "bilinear",
            "scale": f"(pixel - {PIXEL_MEAN:g}) / {PIXEL_STD:g}",
            "pooling": "global average of the head convolution",
        }
        self.files = [path]
        self.fingerprint = fingerprint(self.files, path.parent, self.preprocessing)

    def _embed(self, items: Sequence) -> np.ndarray:
        pixels = (image_batch(items, self.resolution, 3) - PIXEL_MEAN) / PIXEL_STD
        with torch.inference_mode():
            features = self.network.extract_features(pixels)
            return F.adaptive_avg_pool2d(features, 1).flatten(1).numpy()

"""Raw images of any size, format and channel count to one network's input tensor.

Items arrive as a file path, encoded bytes (PNG, JPEG, ...), a PIL image or a uint8
array; all of them go through PIL's mode conversion (so palette, RGBA, 16-bit grey and
CMYK images all become the grey or RGB the network was trained on) and are resized to
the network's square input with bilinear interpolation.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, UnidentifiedImageError

from upgradeflow.errors import UserInputError

CHANNEL_MODES = {1: "L", 3: "RGB"}


def _opened(item) -> Image.Image:
    if isinstance(item, Image.Image):
        return item
    if isinstance(item, np.ndarray):
        if item.dtype != np.uint8 or item.ndim not in (2, 3):
            raise UserInputError(f"an image array must be uint8 [H, W] or [H, W, C], got {item.dtype} {item.shape}")
        return Image.fromarray(item[..., 0] if item.ndim == 3 and item.shape[2] == 1 else item)
    if isinstance(item, (bytes, bytearray, memoryview)):
        return Image.open(io.BytesIO(bytes(item)))
    if isinstance(item, (str, Path)):
        path = Path(item)
        if not path.is_file():
            raise UserInputError(f"{item}: not an image file (an image encoder was given text or a missing path)")
        return Image.open(path)
    raise UserInputError(f"an image encoder cannot read a {type(item).__name__}")


def image_array(item, channels: int) -> np.ndarray:
    """uint8 [H, W, channels] of one raw image."""
    try:
        image = _opened(item)
        image.load()
        return np.array(image.convert(CHANNEL_MODES[channels])).reshape(image.height, image.width, channels)
    except (UnidentifiedImageError, OSError) as error:
        raise UserInputError(f"an item is not a readable image: {error}") from None


def image_batch(items: Sequence, size: int, channels: int) -> torch.Tensor:
    """float32 [B, channels, size, size] in the 0-255 range, bilinear-resized."""
    resized = []
    for item in items:
        pixels = torch.from_numpy(image_array(item, channels)).permute(2, 0, 1)[None].float()
        if pixels.shape[-2:] != (size, size):
            pixels = F.interpolate(pixels, size=(size, size), mode="bilinear", align_corners=False)
        resized.append(pixels)
    return torch.cat(resized)

"""Raw items for the encoder tests."""

from __future__ import annotations

import numpy as np


def random_image(rng: np.random.Generator, height: int, width: int, channels: int | None = None) -> np.ndarray:
    shape = (height, width) if channels is None else (height, width, channels)
    return rng.integers(0, 256, shape, dtype=np.uint8)

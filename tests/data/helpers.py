"""Encoded images for the data-loading tests."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image


def png(value: int, size: int = 40) -> bytes:
    """A ``size`` x ``size`` RGB PNG of one grey ``value``."""
    buffer = io.BytesIO()
    Image.fromarray(np.full((size, size, 3), value, np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()

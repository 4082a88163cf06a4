"""The model that embeds raw query items (images) for ``POST /search``.

Loaded only when the service is given ``--model``, so a vector-only service never
imports torch. An alias URI (``models:/NAME@champion``) is resolved again whenever the
live index changes, so the query model follows a promotion.
"""

from __future__ import annotations

import base64
import binascii
import io
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image, UnidentifiedImageError

from upgradeflow.errors import UserInputError


@dataclass(frozen=True)
class QueryModel:
    uri: str
    resolved: str  # the registered version (models:/NAME/N) or the checkpoint
    dimension: int
    image_size: int
    model: Any  # EmbeddingModel; typed loosely so this module imports without torch

    def describe(self) -> dict:
        return {"uri": self.uri, "resolved": self.resolved, "dimension": self.dimension}

    def embed(self, images: np.ndarray) -> np.ndarray:
        from upgradeflow.backfill.extraction import embed_batch

        return embed_batch(self.model, images)


def resolved_name(uri: str) -> str:
    """The concrete version an alias points at now (the URI itself for a checkpoint)."""
    if uri.startswith("models:/"):
        from upgradeflow.registry.versions import resolve

        return resolve(uri).uri
    return uri


def load_query_model(uri: str, resolved: str) -> QueryModel:
    from upgradeflow.backfill.extraction import load_embedding_model

    model = load_embedding_model(resolved)
    model.eval()
    return QueryModel(uri, resolved, model.config.embedding_dim, model.config.image_size, model)


def decode_images(encoded: list[str], size: int) -> np.ndarray:
    """uint8 [N, size, size] grayscale images from base64-encoded image files (PNG, JPEG)."""
    images = []
    for position, text in enumerate(encoded):
        try:
            image = Image.open(io.BytesIO(base64.b64decode(text, validate=True)))
            pixels = np.asarray(image.convert("L"), dtype=np.uint8)
        except (binascii.Error, UnidentifiedImageError, OSError, ValueError):
            raise UserInputError(f"images[{position}]: not a base64-encoded image file") from None
        if pixels.shape != (size, size):
            raise UserInputError(
                f"images[{position}]: is {pixels.shape[1]}x{pixels.shape[0]}, the model takes {size}x{size}"
            )
        images.append(pixels)
    return np.stack(images)

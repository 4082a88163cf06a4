"""The model that embeds raw query items (images) for ``POST /search``.

Loaded only when the service is given ``--model``, so a vector-only service never
imports torch. An alias URI (``models:/NAME@champion``) is resolved again whenever the
live index changes, so the query model follows a promotion.
"""

from __future__ import annotations

import base64
import binascii
import io
import struct
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import ImageFile, JpegImagePlugin, PngImagePlugin

from upgradeflow.errors import UserInputError, one_line


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
    from upgradeflow.registry.embedding_model import load_embedding_model

    model = load_embedding_model(resolved)
    model.eval()
    return QueryModel(uri, resolved, model.config.embedding_dim, model.config.image_size, model)


# Pillow's readers for the formats the service takes. Each reads only the file's header
# when constructed; the pixels are decoded on first use.
READERS = (PngImagePlugin.PngImageFile, JpegImagePlugin.JpegImageFile)
# What Pillow raises on a file that is not of a reader's format, or is corrupt.
NOT_DECODABLE = (SyntaxError, OSError, EOFError, ValueError, IndexError, TypeError, struct.error)


def _open_header(data: bytes) -> ImageFile.ImageFile | None:
    """The image with only its header read, or None when it is neither PNG nor JPEG.

    The readers are called directly rather than through ``Image.open``: its
    decompression-bomb check fails on a large declared size (or warns, on stderr) before
    the size check below, far tighter, can give its one-line answer."""
    for reader in READERS:
        try:
            return reader(io.BytesIO(data))
        except NOT_DECODABLE:
            continue
    return None


def decode_image(text: str, size: int) -> np.ndarray:
    """uint8 [size, size] grayscale pixels of one base64-encoded PNG or JPEG file.

    The dimensions come from the header and are checked before any pixel is decoded:
    a small file can declare a huge image, and decoding it first would cost the
    service hundreds of megabytes for a request it then refuses."""
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise UserInputError("not a base64-encoded image file") from None
    image = _open_header(data)
    if image is None:
        raise UserInputError("not a PNG or JPEG file")
    width, height = image.size
    if (width, height) != (size, size):
        raise UserInputError(f"is {width}x{height}, the model takes {size}x{size}")
    try:
        return np.asarray(image.convert("L"), dtype=np.uint8)
    except NOT_DECODABLE as error:
        raise UserInputError(f"cannot be decoded ({one_line(error)})") from None


def decode_images(encoded: list[str], size: int) -> np.ndarray:
    """uint8 [N, size, size] grayscale images from base64-encoded PNG or JPEG files."""
    images = []
    for position, text in enumerate(encoded):
        try:
            images.append(decode_image(text, size))
        except UserInputError as error:
            raise UserInputError(f"images[{position}]: {error}") from None
    return np.stack(images)

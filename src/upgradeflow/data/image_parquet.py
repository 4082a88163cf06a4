"""Read a Parquet file of encoded images with identities (the glyph benchmark's format,
and the format for a user's own images)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pyarrow as pa
from PIL import Image, UnidentifiedImageError
from tqdm import tqdm

from upgradeflow.data.image_set import ImageSet
from upgradeflow.data.splits import assign_split_and_roles, stored_split_and_roles
from upgradeflow.embeddings import read_parquet_table
from upgradeflow.errors import UserInputError

REQUIRED = {"id": pa.types.is_string, "identity": pa.types.is_integer, "image": pa.types.is_binary}


def decode_image(data: bytes, size: int) -> np.ndarray:
    """Decode to grayscale ``size`` x ``size`` (resized only when the size differs)."""
    with Image.open(io.BytesIO(data)) as image:
        image = image.convert("L")
        if image.size != (size, size):
            image = image.resize((size, size), Image.Resampling.BILINEAR)
        return np.asarray(image, dtype=np.uint8)


def _check_schema(schema: pa.Schema, path: Path) -> None:
    for name, is_type in REQUIRED.items():
        if name not in schema.names:
            raise UserInputError(f"{path}: missing column '{name}' (need id, identity, image)")
        if not is_type(schema.field(name).type):
            raise UserInputError(f"{path}: column '{name}' has type {schema.field(name).type}")


def read_image_parquet(path: str | Path, *, image_size: int = 32, seed: int = 0, progress: bool = True) -> ImageSet:
    """Load every row; rows without ``split``/``role`` get a seeded open-set split."""
    path = Path(path)
    table = read_parquet_table(path)
    _check_schema(table.schema, path)
    if table.num_rows == 0:
        raise UserInputError(f"{path}: no rows")

    images = np.empty((table.num_rows, image_size, image_size), dtype=np.uint8)
    for row, data in enumerate(
        tqdm(
            table.column("image").to_pylist(),
            desc="decoding images",
            unit="img",
            disable=not progress,
            mininterval=1,
        )
    ):
        try:
            images[row] = decode_image(data, image_size)
        except (UnidentifiedImageError, OSError, TypeError):
            raise UserInputError(f"{path}: row {row} is not a decodable image") from None
    identities = np.asarray(table.column("identity").to_numpy(zero_copy_only=False), dtype=np.int64)
    ids = np.asarray(table.column("id").to_pylist(), dtype=str)
    if len(np.unique(ids)) != len(ids):
        raise UserInputError(f"{path}: column 'id' has duplicate values")

    split, role = stored_split_and_roles(table, str(path)) or assign_split_and_roles(identities, seed=seed)
    return ImageSet(images=images, identities=identities, ids=ids, split=split, role=role)

"""Read an image-folder tree: ``ROOT/<identity>/<image file>``, one folder per identity."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import UnidentifiedImageError

from upgradeflow.data.image_parquet import decode_image
from upgradeflow.data.image_set import ImageSet
from upgradeflow.data.splits import assign_split_and_roles
from upgradeflow.errors import UserInputError

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff"}


def read_image_folder(root: str | Path, *, image_size: int = 32, seed: int = 0) -> ImageSet:
    """Identities are numbered by sorted folder name, so the labels are reproducible."""
    root = Path(root)
    if not root.is_dir():
        raise UserInputError(f"{root}: not a directory")
    folders = sorted(p for p in root.iterdir() if p.is_dir())
    images, identities, ids = [], [], []
    for label, folder in enumerate(folders):
        for file in sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES):
            try:
                images.append(decode_image(file.read_bytes(), image_size))
            except (UnidentifiedImageError, OSError):
                raise UserInputError(f"{file}: not a decodable image") from None
            identities.append(label)
            ids.append(f"{folder.name}/{file.name}")
    if not images:
        raise UserInputError(f"{root}: no images in <identity>/<file> folders")
    identities_array = np.asarray(identities, dtype=np.int64)
    split, role = assign_split_and_roles(identities_array, seed=seed)
    return ImageSet(np.stack(images), identities_array, np.asarray(ids, dtype=str), split, role)

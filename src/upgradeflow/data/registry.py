"""Datasets by name, as the command line and the benchmark ask for them."""

from __future__ import annotations

from pathlib import Path

from upgradeflow.data.fashion_mnist import read_fashion_mnist
from upgradeflow.data.glyphs import (
    CARD_NAME,
    PARQUET_NAME,
    GlyphConfig,
    build_glyphs,
    existing_build,
)
from upgradeflow.data.image_folder import read_image_folder
from upgradeflow.data.image_parquet import read_image_parquet
from upgradeflow.data.image_set import ImageSet
from upgradeflow.errors import UserInputError

DATASETS = ("glyphs", "fashion-mnist", "parquet:PATH", "folder:PATH")


def ensure_glyphs(data_dir: str | Path, progress: bool = True) -> Path:
    """The glyph Parquet under ``data_dir/glyphs``, built first if it is not there."""
    out = Path(data_dir) / "glyphs"
    if existing_build(out, GlyphConfig()) is None:
        build_glyphs(out, GlyphConfig(), progress=progress)
    return out / PARQUET_NAME


def load_dataset(name: str, data_dir: str | Path, progress: bool = True) -> ImageSet:
    """``glyphs``, ``fashion-mnist``, ``parquet:PATH`` (image bytes) or ``folder:PATH``."""
    if name == "glyphs":
        return read_image_parquet(ensure_glyphs(data_dir, progress), progress=progress)
    if name == "fashion-mnist":
        return read_fashion_mnist()
    kind, _, path = name.partition(":")
    if kind == "parquet" and path:
        return read_image_parquet(path, progress=progress)
    if kind == "folder" and path:
        return read_image_folder(path)
    raise UserInputError(f"unknown dataset '{name}' (choose from: {', '.join(DATASETS)})")


__all__ = ["CARD_NAME", "DATASETS", "ensure_glyphs", "load_dataset"]

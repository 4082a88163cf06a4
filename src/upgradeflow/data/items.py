"""Raw items a pretrained encoder embeds: texts or encoded images, with their identities.

Only the small columns (ids, identities, split, role) are held in memory; the items
themselves are read a record batch at a time, so a collection of any size streams
through an encoder. Every item keeps its raw source (the text itself, or the image's
path or row), which is what lets a backfill re-extract it with the next encoder.

Formats:

- Parquet with ``id`` (string), ``identity`` (integer, optional), and ``text`` (string)
  or ``image`` (encoded bytes); optional ``split``/``role`` columns, else a seeded
  open-set split by identity;
- a folder ``ROOT/<identity>/<image file>``, one folder per identity.

A Parquet file may live in S3 (``s3://bucket/key.parquet``); it is copied locally once.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from upgradeflow.data.image_folder import IMAGE_SUFFIXES
from upgradeflow.data.splits import assign_split_and_roles, stored_split_and_roles
from upgradeflow.embeddings import read_parquet_schema, read_parquet_table
from upgradeflow.errors import UserInputError
from upgradeflow.store.shard_format import file_sha256

ITEM_COLUMNS = {"text": "text", "image": "image"}  # column: modality
READ_BATCH = 1024


@dataclass(frozen=True)
class ItemSet:
    """Labelled raw items; ``items()`` streams them in row order."""

    location: str
    modality: str  # "text" or "image"
    ids: np.ndarray  # str [N]
    identities: np.ndarray | None  # int64 [N], None when the data has no identities
    split: np.ndarray  # str [N]: "train" or "test"
    role: np.ndarray  # str [N]: "train", "query" or "gallery"
    fingerprint: str  # sha256 of the data's bytes: a cache of its features is keyed on it
    _files: tuple[Path, ...] = ()  # a folder's image files, in row order

    def __len__(self) -> int:
        return len(self.ids)

    def items(self, rows: np.ndarray | None = None) -> Iterator:
        """The raw items (texts, image bytes or image paths) of ``rows`` (all by default),
        in row order."""
        wanted = None if rows is None else np.zeros(len(self), dtype=bool)
        if wanted is not None:
            wanted[rows] = True
        if self._files:
            yield from (f for i, f in enumerate(self._files) if wanted is None or wanted[i])
            return
        start = 0
        with _local(self.location) as path:
            column = "text" if self.modality == "text" else "image"
            for batch in pq.ParquetFile(path).iter_batches(batch_size=READ_BATCH, columns=[column]):
                values = batch.column(0).to_pylist()
                keep = range(len(values)) if wanted is None else np.flatnonzero(wanted[start : start + len(values)])
                yield from (values[i] for i in keep)
                start += len(values)

    def require_identities(self, purpose: str) -> np.ndarray:
        if self.identities is None:
            raise UserInputError(f"{self.location} has no 'identity' column; {purpose} needs one")
        return self.identities


@contextlib.contextmanager
def _local(location: str) -> Iterator[Path]:
    """A local path of ``location``, an S3 object copied for the block's duration."""
    if not location.startswith("s3://"):
        yield Path(location)
        return
    from upgradeflow.store.location import open_store

    prefix, _, key = location.rpartition("/")
    with open_store(prefix).local_copy(key) as path:
        yield path


def read_items(location: str | Path, seed: int = 0) -> ItemSet:
    """The item set at ``location`` (a Parquet file, local or S3, or an image folder)."""
    location = str(location)
    if not location.startswith("s3://") and Path(location).is_dir():
        return _read_folder(Path(location), seed)
    with _local(location) as path:
        return _read_parquet(location, path, seed)


def _read_parquet(location: str, path: Path, seed: int) -> ItemSet:
    schema = read_parquet_schema(path)
    present = [c for c in ITEM_COLUMNS if c in schema.names]
    if len(present) != 1:
        found = "both 'text' and 'image'" if present else "neither 'text' nor 'image'"
        raise UserInputError(f"{location}: has {found}; an item file has exactly one of them")
    column = present[0]
    expected = pa.types.is_string if column == "text" else pa.types.is_binary
    if not (expected(schema.field(column).type) or pa.types.is_large_string(schema.field(column).type)):
        raise UserInputError(f"{location}: column '{column}' has type {schema.field(column).type}")
    if "id" not in schema.names:
        raise UserInputError(f"{location}: missing column 'id'")
    small = [c for c in ("id", "identity", "split", "role") if c in schema.names]
    table = read_parquet_table(path, small)
    if table.num_rows == 0:
        raise UserInputError(f"{location}: no rows")
    ids = np.asarray(table.column("id").to_pylist(), dtype=str)
    identities = None
    if "identity" in small:
        if not pa.types.is_integer(table.schema.field("identity").type) or table.column("identity").null_count:
            raise UserInputError(f"{location}: column 'identity' must be whole numbers without gaps")
        identities = table.column("identity").to_numpy().astype(np.int64)
    split, role = stored_split_and_roles(table, location) or _split(identities, len(ids), seed)
    _check_ids(ids, location)
    return ItemSet(location, ITEM_COLUMNS[column], ids, identities, split, role, file_sha256(path))


def _read_folder(root: Path, seed: int) -> ItemSet:
    folders = sorted(p for p in root.iterdir() if p.is_dir())
    files, identities = [], []
    for label, folder in enumerate(folders):
        found = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        files += found
        identities += [label] * len(found)
    if not files:
        raise UserInputError(f"{root}: no images in <identity>/<file> folders")
    digest = hashlib.sha256()
    for file in files:
        digest.update(str(file.relative_to(root)).encode() + b"\0" + bytes.fromhex(file_sha256(file)))
    ids = np.asarray([str(f.relative_to(root)) for f in files], dtype=str)
    labels = np.asarray(identities, dtype=np.int64)
    split, role = _split(labels, len(files), seed)
    return ItemSet(str(root), "image", ids, labels, split, role, digest.hexdigest(), tuple(files))


def _split(identities: np.ndarray | None, rows: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The open-set split by identity; without identities every row is for training (a
    map can be fitted on them; evaluating it needs identities)."""
    if identities is None:
        return np.full(rows, "train"), np.full(rows, "train")
    return assign_split_and_roles(identities, seed=seed)


def _check_ids(ids: np.ndarray, location: str) -> None:
    unique, counts = np.unique(ids, return_counts=True)
    if len(unique) != len(ids):
        raise UserInputError(f"{location}: column 'id' repeats '{unique[counts > 1][0]}'")

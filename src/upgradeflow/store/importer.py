"""Bring embedding tables into a gallery as a new version, re-sharded to a fixed size.

Input is streamed batch by batch, checked (schema, dimension, NaN, norm) on the way,
and cut into shards of ``shard_rows`` rows. If anything is wrong the staged version is
deleted and nothing is committed.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from tqdm import tqdm

from upgradeflow.embeddings import unreadable
from upgradeflow.errors import UserInputError
from upgradeflow.progress import counted as progress_counted
from upgradeflow.store.gallery import Gallery
from upgradeflow.store.manifest import Plan
from upgradeflow.store.shard_format import check_batch, conform, shard_schema

DEFAULT_SHARD_ROWS = 262_144  # 128 MiB of 128-d float32, inside the 64-256 MB a shard should span
BATCH_ROWS = 65_536


def _source_files(source: Path) -> list[Path]:
    if source.is_dir():
        files = sorted(source.rglob("*.parquet"))
        if not files:
            raise UserInputError(f"{source}: no .parquet files in this directory")
        return files
    if not source.is_file():
        raise UserInputError(f"{source}: no such file")
    return [source]


def open_parquet(path: Path) -> pq.ParquetFile:
    """A user-supplied Parquet file, opened once, with one-line errors."""
    try:
        return pq.ParquetFile(path)
    except FileNotFoundError:
        raise UserInputError(f"{path}: no such file") from None
    except (pa.ArrowInvalid, OSError) as error:
        raise unreadable(path, error) from None


def read_table(path: Path) -> pa.Table:
    """A small user-supplied Parquet table (queries), with one-line errors.

    Opening reads only the footer; a corrupt page shows up here, when it is decoded.
    """
    reader = open_parquet(path)
    try:
        return reader.read()
    except (pa.ArrowInvalid, OSError) as error:
        raise unreadable(path, error) from None


def _read_batches(path: Path, reader: pq.ParquetFile) -> Iterator[pa.RecordBatch]:
    """``reader``'s batches; a corrupt page (found only when decoded) is a one-line error."""
    try:
        yield from reader.iter_batches(batch_size=BATCH_ROWS)
    except (pa.ArrowInvalid, OSError) as error:
        raise unreadable(path, error) from None


def _batches(readers: list[tuple[Path, pq.ParquetFile]], model: str | None) -> Iterator[pa.RecordBatch]:
    dimension = None
    names: list[str] | None = None
    for path, reader in readers:
        for raw in _read_batches(path, reader):
            batch = conform(raw, str(path))
            if "model" not in batch.schema.names:
                if model is None:
                    raise UserInputError(f"{path}: no 'model' column; name the producing model with --model")
                batch = batch.append_column("model", pa.array([model] * batch.num_rows, pa.string()))
            check_batch(batch, dimension, str(path))
            if names is not None and batch.schema.names != names:
                raise UserInputError(f"{path}: columns {batch.schema.names} differ from {names} in earlier input")
            dimension = batch.schema.field("embedding").type.list_size
            names = batch.schema.names
            yield batch


class _Rows:
    """Cut a stream of batches into consecutive runs of ``n`` rows."""

    def __init__(self, batches: Iterator[pa.RecordBatch]):
        self._batches = batches
        self._head: pa.RecordBatch | None = None

    def peek(self) -> pa.RecordBatch | None:
        if self._head is None:
            self._head = next(self._batches, None)
        return self._head

    def take(self, n: int) -> Iterator[pa.RecordBatch]:
        while n > 0 and (head := self.peek()) is not None:
            part, self._head = head.slice(0, n), (head.slice(n) if head.num_rows > n else None)
            n -= part.num_rows
            yield part


def _check_live_dimension(gallery: Gallery, live: str | None, first: pa.RecordBatch, source: Path) -> None:
    """A new version replaces the live one under the same queries and index, so it keeps
    the live version's dimension; a model with another dimension makes a new gallery."""
    if live is None:
        return
    expected = gallery.manifest(live)["dimension"]
    dimension = first.schema.field("embedding").type.list_size
    if dimension != expected:
        raise UserInputError(
            f"{source}: embedding dimension {dimension}, expected {expected} (the dimension of live version {live})"
        )


def default_version() -> str:
    return "v" + datetime.now(UTC).strftime("%Y%m%dT%H%M%S")


def _sealed_earlier(gallery: Gallery, version: str, producer: dict, rows: int, shards: int, commit: bool) -> bool:
    """Whether ``version`` was already sealed by an import of the same input: a run
    killed between sealing and moving the pointer, or after moving it and before it
    exited. Rerunning the command then finishes that run (the pointer moves only if it
    never did) instead of refusing the version as taken."""
    if not gallery.is_committed(version):
        return False
    plan, manifest = gallery.plan(version), gallery.manifest(version)
    if plan is None or plan.producer != producer or (manifest["rows"], len(manifest["shards"])) != (rows, shards):
        return False
    if commit and version not in gallery.pointer().history:
        gallery.commit(version)
    return True


def import_tables(
    gallery: Gallery,
    source: Path,
    *,
    version: str | None = None,
    shard_rows: int = DEFAULT_SHARD_ROWS,
    model: str | None = None,
    commit: bool = True,
    progress: bool = True,
) -> str:
    """Stage ``source`` (a Parquet file or a directory of them) as a version; commit it."""
    if shard_rows < 1:
        raise UserInputError(f"--shard-rows must be positive, got {shard_rows}")
    version = version or default_version()
    readers = [(path, open_parquet(path)) for path in _source_files(source)]
    total = sum(reader.metadata.num_rows for _, reader in readers)
    if total == 0:
        raise UserInputError(f"{source}: no rows to import")
    shards = -(-total // shard_rows)
    producer = {"kind": "import", "source": str(source)}
    if _sealed_earlier(gallery, version, producer, total, shards, commit):
        return version
    parent = gallery.pointer().current
    rows = _Rows(_batches(readers, model))
    _check_live_dimension(gallery, parent, rows.peek(), source)  # the first batch, before anything is staged
    gallery.stage(version, Plan(shards=shards, parent=parent, producer=producer))
    try:
        with tqdm(total=total, unit="row", unit_scale=True, desc=f"import {version}", disable=not progress) as bar:
            for index in range(shards):
                first = rows.peek()
                schema = shard_schema(first.schema.field("embedding").type.list_size, first.schema.names)
                counted = progress_counted(rows.take(shard_rows), bar)
                gallery.write_shard(version, index, counted, schema)
        if commit:
            gallery.commit(version)
        else:
            gallery.seal(version)
    except BaseException:
        if not gallery.is_committed(version):
            gallery.discard(version)
        raise
    return version

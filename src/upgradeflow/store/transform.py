"""Stream one committed shard through a function into the same shard of a new version.

Gallery evolution (an adapter over old embeddings, ``upgrade/evolve.py``) streams through
here; the function is the caller's, so storage itself needs no torch. Memory is one batch
at a time whatever the shard or gallery size; a finished shard is skipped on re-run; a
crash leaves the shard unfinished and invisible.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import closing
from pathlib import Path

import pyarrow as pa
from tqdm import tqdm

from upgradeflow.errors import UserInputError
from upgradeflow.progress import counted as progress_counted
from upgradeflow.store.gallery import Gallery, corrupt_shard
from upgradeflow.store.manifest import Plan, ShardRecord
from upgradeflow.store.prefetch import background, prefetch
from upgradeflow.store.shard_format import check_batch, file_sha256, iter_batches, shard_schema

BATCH_ROWS = 32_768

BatchTransform = Callable[[pa.RecordBatch], pa.RecordBatch]


def transform_shard(
    gallery: Gallery,
    source_version: str,
    target_version: str,
    index: int,
    transform: BatchTransform,
    output_dimension: int,
    producer: dict,
    producer_sha256: str,
    *,
    batch_rows: int = BATCH_ROWS,
    progress: bool = False,
) -> tuple[ShardRecord, bool]:
    """Write shard ``index`` of ``target_version``; returns the record and whether work was done."""
    manifest = gallery.manifest(source_version)
    entry = manifest["shards"][index] if 0 <= index < len(manifest["shards"]) else None
    if entry is None:
        raise UserInputError(f"{gallery.where(source_version)}: no shard {index} (it has {len(manifest['shards'])})")
    gallery.stage(target_version, Plan(shards=len(manifest["shards"]), parent=source_version, producer=producer))
    done = gallery.finished_shard(target_version, index)
    if done is not None and done.source_sha256 == entry["sha256"] and done.producer_sha256 == producer_sha256:
        return done, False
    schema = shard_schema(output_dimension, list(manifest["schema"]))
    where = gallery.where(source_version)
    with gallery.open_shard(source_version, index, verify=False) as (path, _):
        # The input's checksum is computed alongside the transform and checked before the
        # output is published, so a corrupt input costs no extra pass and leaves nothing.
        digest = background.submit(file_sha256, path)
        batches = _transformed(path, transform, manifest["dimension"], batch_rows, where)
        # Closed however the write ends: a write that fails part-way must stop the reading
        # thread, which would otherwise wait on a full queue and keep the process alive.
        prefetched = closing(prefetch(_checked_at_end(batches, digest, entry["sha256"], where, index)))
        bar = tqdm(total=entry["rows"], unit="row", unit_scale=True, desc=f"shard {index}", disable=not progress)
        with prefetched as batches, bar:
            counted = progress_counted(batches, bar)
            record = gallery.write_shard(
                target_version, index, counted, schema, source_sha256=entry["sha256"], producer_sha256=producer_sha256
            )
    pa.default_memory_pool().release_unused()  # keep the peak flat across shards
    return record, True


def _checked_at_end(
    batches: Iterator[pa.RecordBatch], digest: Future, expected: str, where: str, index: int
) -> Iterator[pa.RecordBatch]:
    try:
        yield from batches
    except UserInputError:
        if digest.result() != expected:  # bad values or undecodable: say why
            raise corrupt_shard(where, index) from None
        raise
    if digest.result() != expected:
        raise corrupt_shard(where, index)


def _transformed(
    path: Path, transform: BatchTransform, dimension: int, batch_rows: int, where: str
) -> Iterator[pa.RecordBatch]:
    try:
        for batch in iter_batches(path, batch_rows):
            check_batch(batch, dimension, where)
            yield transform(batch)
    except (pa.ArrowException, OSError) as error:
        raise UserInputError(f"{where}: shard {path.name} is corrupt (cannot decode: {error})") from None

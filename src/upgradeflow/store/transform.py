"""Stream one committed shard through a function into the same shard of a new version.

Gallery evolution (an adapter over old embeddings) uses it now; backfill (a model over
the items' ``source``) uses the same path. Memory is one batch at a time whatever the
shard or gallery size; a finished shard is skipped on re-run; a crash leaves the shard
unfinished and invisible.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from pathlib import Path

import numpy as np
import pyarrow as pa
import torch
from tqdm import tqdm

from upgradeflow.errors import UserInputError
from upgradeflow.models.adapter import MLPAdapter, adapter_digest, load_adapter
from upgradeflow.progress import counted as progress_counted
from upgradeflow.store.gallery import Gallery, corrupt_shard
from upgradeflow.store.manifest import Plan, ShardRecord
from upgradeflow.store.prefetch import background, prefetch
from upgradeflow.store.shard_format import check_batch, embeddings_of, file_sha256, iter_batches, shard_schema

BATCH_ROWS = 32_768
# Rows per adapter call: small enough that the hidden activations stay in cache
# (2.4x the rows/s of one 65,536-row call for a 128->256->128 MLP on this machine).
ADAPTER_ROWS = 4096

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
        batches = prefetch(_checked_at_end(batches, digest, entry["sha256"], where, index))
        with tqdm(total=entry["rows"], unit="row", unit_scale=True, desc=f"shard {index}", disable=not progress) as bar:
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


def adapter_transform(adapter: MLPAdapter, model_uri: str) -> BatchTransform:
    """Replace each row's embedding by the adapter's output and stamp the producing model."""

    def apply(batch: pa.RecordBatch) -> pa.RecordBatch:
        inputs = embeddings_of(batch)
        out = np.empty((len(inputs), adapter.config.out_dim), dtype=np.float32)
        with torch.inference_mode(), warnings.catch_warnings():
            # Arrow buffers are read-only; the adapter only reads its input.
            warnings.filterwarnings("ignore", message="The given NumPy array is not writable")
            for start in range(0, len(inputs), ADAPTER_ROWS):
                chunk = torch.from_numpy(inputs[start : start + ADAPTER_ROWS])
                out[start : start + ADAPTER_ROWS] = adapter(chunk).numpy()
        values = pa.array(out.reshape(-1), pa.float32())
        embedding = pa.FixedSizeListArray.from_arrays(values, out.shape[1])
        columns = {name: batch.column(name) for name in batch.schema.names}
        columns["embedding"] = embedding
        columns["model"] = pa.array([model_uri] * batch.num_rows, pa.string())
        schema = shard_schema(out.shape[1], list(columns))
        return pa.RecordBatch.from_arrays([columns[f.name] for f in schema], schema=schema)

    return apply


def evolve_shard(
    gallery: Gallery,
    adapter_path: Path,
    source_version: str,
    index: int,
    target_version: str | None = None,
    *,
    batch_rows: int = BATCH_ROWS,
    progress: bool = False,
) -> tuple[str, ShardRecord, bool]:
    """Evolve one shard into the adapter's space; the target version defaults to a name
    derived from source and adapter, so every mapped task of one upgrade agrees on it."""
    adapter = load_adapter(adapter_path)
    digest = adapter_digest(adapter_path)
    dimension = gallery.manifest(source_version)["dimension"]
    if adapter.config.in_dim != dimension:
        raise UserInputError(
            f"{adapter_path}: adapter takes {adapter.config.in_dim}-d input, "
            f"{gallery.where(source_version)} holds {dimension}-d embeddings"
        )
    target_version = target_version or f"{source_version}.evolved-{digest[:8]}"
    producer = {"kind": "evolve", "adapter": str(Path(adapter_path).with_suffix(".pt").name), "sha256": digest}
    record, worked = transform_shard(
        gallery,
        source_version,
        target_version,
        index,
        adapter_transform(adapter, f"adapter:{digest[:12]}"),
        adapter.config.out_dim,
        producer,
        digest,
        batch_rows=batch_rows,
        progress=progress,
    )
    return target_version, record, worked

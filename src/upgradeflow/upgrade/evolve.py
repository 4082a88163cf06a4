"""Evolve one stored gallery shard into the new model's space through the forward
adapter: the adapter's half of gallery evolution, over storage's shard transform."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pyarrow as pa
import torch

from upgradeflow.errors import UserInputError
from upgradeflow.models.adapter import MLPAdapter, adapter_digest, load_adapter
from upgradeflow.store.gallery import Gallery
from upgradeflow.store.manifest import ShardRecord
from upgradeflow.store.shard_format import embeddings_of, shard_schema
from upgradeflow.store.transform import BATCH_ROWS, BatchTransform, transform_shard

ADAPTER_ROWS = 4096  # rows per adapter call: small enough that the hidden activations stay in cache


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

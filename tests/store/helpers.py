"""Embedding tables and adapters for the storage tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq


def unit_vectors(rows: int, dim: int, seed: int) -> np.ndarray:
    x = np.random.default_rng(seed).standard_normal((rows, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def write_embeddings(
    path: Path, rows: int, dim: int = 16, seed: int = 0, *, prefix: str = "item", vectors: np.ndarray | None = None
) -> Path:
    vectors = unit_vectors(rows, dim, seed) if vectors is None else vectors
    table = pa.table(
        {
            "id": [f"{prefix}-{i}" for i in range(len(vectors))],
            "embedding": pa.FixedSizeListArray.from_arrays(pa.array(vectors.reshape(-1)), vectors.shape[1]),
            "source": [f"s3://raw/{prefix}-{i}.jpg" for i in range(len(vectors))],
            "model": ["old"] * len(vectors),
        }
    )
    pq.write_table(table, path)
    return path


def make_adapter(path: Path, in_dim: int = 16, out_dim: int = 16, seed: int = 0) -> Path:
    import torch

    from upgradeflow.models.adapter import AdapterConfig, MLPAdapter, save_adapter

    torch.manual_seed(seed)
    return save_adapter(MLPAdapter(AdapterConfig(in_dim=in_dim, hidden_dim=32, out_dim=out_dim)), path)


def read_version(gallery, version: str) -> pa.Table:
    """Every row of a committed version, shards verified, in shard order."""
    tables = []
    for index in range(len(gallery.manifest(version)["shards"])):
        with gallery.open_shard(version, index) as (path, _):
            tables.append(pq.read_table(path))
    return pa.concat_tables(tables)


def corrupt_pages(path: Path) -> Path:
    """Overwrite every column chunk's first page header: the footer still reads, the data does not."""
    metadata = pq.ParquetFile(path).metadata
    data = bytearray(path.read_bytes())
    for group in range(metadata.num_row_groups):
        for column in range(metadata.num_columns):
            chunk = metadata.row_group(group).column(column)
            start = chunk.dictionary_page_offset or chunk.data_page_offset
            data[start : start + 32] = b"\xff" * 32
    path.write_bytes(bytes(data))
    return path

"""The embedding shard: one Parquet file of the embedding table.

Embeddings are ``fixed_size_list<float32>[d]`` so a shard's dimension is in its schema
and a batch converts to a ``[rows, d]`` NumPy view without copying. Everything that
enters a gallery passes ``check_batch`` first: that is where dimension, NaN and norm
errors are caught, before anything is committed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from upgradeflow.embeddings import squared_norms
from upgradeflow.errors import UserInputError

NORM_TOLERANCE = 1e-3
REQUIRED = ("id", "embedding")
OPTIONAL = {"source": pa.string(), "identity": pa.int64(), "model": pa.string()}
# Float vectors do not compress or dictionary-encode; only the repetitive columns do.
WRITE_OPTIONS = {"compression": "snappy", "use_dictionary": ["model", "source"], "write_statistics": ["id"]}


def shard_schema(dimension: int, columns: list[str]) -> pa.Schema:
    fields = [pa.field("id", pa.string(), nullable=False)]
    fields.append(pa.field("embedding", pa.list_(pa.float32(), dimension), nullable=False))
    fields += [pa.field(name, OPTIONAL[name]) for name in OPTIONAL if name in columns]
    return pa.schema(fields)


def schema_signature(schema: pa.Schema) -> dict[str, str]:
    return {f.name: str(f.type) for f in schema}


def embedding_array(vectors: np.ndarray) -> pa.FixedSizeListArray:
    """A ``[rows, d]`` matrix as the shard's ``fixed_size_list<float32>[d]`` column."""
    values = np.ascontiguousarray(vectors, dtype=np.float32)
    return pa.FixedSizeListArray.from_arrays(pa.array(values.reshape(-1)), values.shape[1])


def embeddings_of(batch: pa.RecordBatch | pa.Table) -> np.ndarray:
    """The ``[rows, d]`` float32 view of a batch's fixed-size embedding column."""
    column = batch.column("embedding")
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    width = column.type.list_size
    return column.values.to_numpy(zero_copy_only=False).reshape(len(column), width)


def conform(batch: pa.RecordBatch, where: str) -> pa.RecordBatch:
    """Cast a user batch to the shard schema: variable lists become fixed, floats float32."""
    missing = [c for c in REQUIRED if c not in batch.schema.names]
    if missing:
        raise UserInputError(f"{where}: missing column(s) {', '.join(missing)}")
    column = batch.column("embedding")
    kind = column.type
    if not (pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_fixed_size_list(kind)):
        raise UserInputError(f"{where}: column 'embedding' must be a list of floats, got {kind}")
    if not pa.types.is_floating(kind.value_type):
        raise UserInputError(f"{where}: column 'embedding' must hold floats, got {kind.value_type}")
    if column.null_count:
        raise UserInputError(f"{where}: {column.null_count} rows have no embedding")
    if pa.types.is_fixed_size_list(kind):
        width = kind.list_size
    else:
        lengths = np.unique(column.value_lengths().to_numpy(zero_copy_only=False))
        if len(lengths) != 1:
            raise UserInputError(f"{where}: embeddings have different lengths {lengths[:5].tolist()}")
        width = int(lengths[0]) if len(lengths) else 0
    if width == 0:  # a shard's fixed_size_list needs a positive size, and a 0-d vector matches nothing
        raise UserInputError(f"{where}: embedding has 0 dimensions")
    values = column.flatten().cast(pa.float32())
    embedding = pa.FixedSizeListArray.from_arrays(values, width)
    columns = [_ids(batch, where), embedding]
    names = list(REQUIRED)
    for name, kind in OPTIONAL.items():
        if name in batch.schema.names:
            try:
                columns.append(batch.column(name).cast(kind))
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                raise UserInputError(f"{where}: column '{name}' must be {kind}") from None
            names.append(name)
    if batch.column("id").null_count:
        raise UserInputError(f"{where}: {batch.column('id').null_count} rows have no id")
    return pa.RecordBatch.from_arrays(columns, schema=shard_schema(width, names))


def _ids(batch: pa.RecordBatch, where: str) -> pa.Array:
    """The ``id`` column as strings; string-like types convert, numbers are refused because
    ``7`` and ``"007"`` would silently become different ids."""
    column = batch.column("id")
    if column.type == pa.string():
        return column
    try:
        return pa.array(column.to_pylist(), pa.string())
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        raise UserInputError(f"{where}: column 'id' must be string, got {column.type}") from None


def check_batch(batch: pa.RecordBatch, dimension: int | None, where: str, *, normalised: bool = True) -> np.ndarray:
    """Reject a batch that would poison a gallery; return its embeddings."""
    kind = batch.schema.field("embedding").type
    if not (pa.types.is_fixed_size_list(kind) and kind.value_type == pa.float32()):
        raise UserInputError(f"{where}: column 'embedding' must be fixed_size_list<float32>, got {kind}")
    if dimension is not None and kind.list_size != dimension:
        raise UserInputError(f"{where}: embedding dimension {kind.list_size}, expected {dimension}")
    vectors = embeddings_of(batch)
    finite = np.isfinite(vectors).all(axis=1)
    if not finite.all():
        row = int(np.argmin(finite))
        raise UserInputError(f"{where}: {int((~finite).sum())} embeddings hold NaN or inf (first: row {row})")
    if not normalised:  # raw vectors (queries) still need a direction to search by
        squared_norms(vectors, where, "embedding")
    if normalised and len(vectors):
        norms = np.sqrt(np.einsum("ij,ij->i", vectors, vectors))
        bad = np.abs(norms - 1.0) > NORM_TOLERANCE
        if bad.any():
            row = int(np.argmax(bad))
            raise UserInputError(
                f"{where}: {int(bad.sum())} embeddings are not L2-normalised (row {row} has norm {norms[row]:.4f})"
            )
    return vectors


def iter_batches(path: Path, batch_size: int, columns: list[str] | None = None) -> Iterator[pa.RecordBatch]:
    yield from pq.ParquetFile(path).iter_batches(batch_size=batch_size, columns=columns)


def file_sha256(path: Path, chunk: int = 8 * 2**20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def open_writer(path: Path, schema: pa.Schema) -> pq.ParquetWriter:
    return pq.ParquetWriter(path, schema, **WRITE_OPTIONS)

"""Embedding tables (``id``, ``embedding``, optional ``identity``, ``source``, ``model``):
what ``upgradeflow gallery import`` and ``eval embeddings`` read, and what a benchmark
or the bootstrap step writes so that a real gallery can be seeded from it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from upgradeflow.atomic import atomic_path
from upgradeflow.errors import UserInputError

FLOAT32_MAX = float(np.finfo(np.float32).max)


def unreadable(path: Path, error: Exception) -> UserInputError:
    """The one-line error for a Parquet file Arrow cannot read.

    Arrow's messages can span lines (a corrupt page reports "Couldn't deserialize thrift"
    and the failed page header on lines of their own, with the raw type byte between);
    the error must stay one printable line.
    """
    text = "".join(c if c.isprintable() else " " for c in str(error))
    return UserInputError(f"{path}: not a readable Parquet file ({' '.join(text.split())})")


def read_parquet_table(path: Path, columns: list[str] | None = None) -> pa.Table:
    """The whole file (or ``columns`` of it), or one line saying why it cannot be read.
    One thread: on a couple of cores, decoding a column in parallel costs more in
    coordination than it saves (a 300 MB file reads in half the time)."""
    try:
        return pq.read_table(path, columns=columns, use_threads=False)
    except FileNotFoundError:
        raise UserInputError(f"{path}: no such file") from None
    except (pa.ArrowInvalid, OSError) as error:
        raise unreadable(path, error) from None


def read_parquet_schema(path: Path) -> pa.Schema:
    """The file's schema (its footer only), or one line saying why it cannot be read."""
    try:
        return pq.read_schema(path)
    except FileNotFoundError:
        raise UserInputError(f"{path}: no such file") from None
    except (pa.ArrowInvalid, OSError) as error:
        raise unreadable(path, error) from None


def read_embedding_table(
    path: str | Path, *, need_identity: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """``(ids, embeddings float32 [N, d], identities or None)``."""
    path = Path(path)
    table = read_parquet_table(path)
    names = table.schema.names
    needed = ["id", "embedding"] + (["identity"] if need_identity else [])
    missing = [n for n in needed if n not in names]
    if missing:
        raise UserInputError(
            f"{path}: missing column(s) {', '.join(missing)} (embedding table needs {', '.join(needed)})"
        )
    embeddings = vectors(table, "embedding", path)
    identities = None
    if "identity" in names:
        if not pa.types.is_integer(table.schema.field("identity").type):
            raise UserInputError(f"{path}: column 'identity' must be integers")
        identities = np.asarray(table.column("identity").to_numpy(zero_copy_only=False), dtype=np.int64)
    return np.asarray(table.column("id").to_pylist(), dtype=str), embeddings, identities


def vectors(table: pa.Table, name: str, path: Path) -> np.ndarray:
    """Column ``name`` (a list or fixed-size list of floats, one length) as float32 [N, d]."""
    column = table.column(name)
    if not (
        pa.types.is_list(column.type) or pa.types.is_fixed_size_list(column.type) or pa.types.is_large_list(column.type)
    ):
        raise UserInputError(f"{path}: column '{name}' must be a list of floats, got {column.type}")
    if not pa.types.is_floating(column.type.value_type):
        raise UserInputError(f"{path}: column '{name}' must hold floats, got {column.type.value_type}")
    rows = column.combine_chunks()
    if not len(rows):
        raise UserInputError(f"{path}: no rows")
    # Nulls first: a null row has no length, and comparing it with the others fails.
    if rows.null_count:
        raise UserInputError(f"{path}: {rows.null_count} rows have no '{name}'")
    lengths = (
        set(rows.value_lengths().to_pylist())
        if not pa.types.is_fixed_size_list(column.type)
        else {column.type.list_size}
    )
    if len(lengths) != 1:
        raise UserInputError(f"{path}: '{name}' vectors have different lengths {sorted(lengths)[:5]}")
    if lengths == {0}:
        raise UserInputError(f"{path}: {name} has 0 dimensions")
    return np.asarray(rows.flatten().to_numpy(zero_copy_only=False), dtype=np.float32).reshape(len(rows), -1)


def squared_norms(values: np.ndarray, where: str | Path, name: str) -> np.ndarray:
    """Each row's squared norm (summed in float64), once the rows no similarity can be
    computed from are refused in one line: NaN or infinite values, all zeros, and values
    whose squares overflow float32 (finite here, they become inf in the float32
    arithmetic of training and search, and such a row silently turns into zeros)."""
    squared = np.einsum("ij,ij->i", values, values, dtype=np.float64)
    for bad, problem in (
        (~np.isfinite(squared), f"NaN or infinite values in '{name}'"),
        (squared > FLOAT32_MAX, f"values too large in '{name}' (squares overflow float32)"),
        (squared == 0, f"an all-zero '{name}'"),
    ):
        if bad.any():
            raise UserInputError(f"{where}: {int(bad.sum())} rows have {problem}")
    return squared


def write_embedding_table(
    path: Path,
    ids: np.ndarray,
    embeddings: np.ndarray,
    identities: np.ndarray,
    model: str,
    sources: list[str] | None = None,
) -> Path:
    """``sources`` (where each raw item lives) is what a later backfill re-extracts from."""
    vectors = np.ascontiguousarray(embeddings, dtype=np.float32)
    columns = {
        "id": pa.array([str(i) for i in ids], pa.string()),
        "embedding": pa.FixedSizeListArray.from_arrays(pa.array(vectors.reshape(-1)), vectors.shape[1]),
    }
    if sources is not None:
        columns["source"] = pa.array(sources, pa.string())
    columns["identity"] = pa.array(np.asarray(identities, dtype=np.int64))
    columns["model"] = pa.array([model] * len(vectors), pa.string())
    table = pa.table(columns)
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp)
    return path

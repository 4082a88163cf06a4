"""Write a benchmark's query and gallery embeddings as embedding tables.

These are what ``upgradeflow gallery import`` and ``eval embeddings`` read, so a
benchmark run can seed a real gallery and its numbers can be re-checked from storage.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from upgradeflow.atomic import atomic_path


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

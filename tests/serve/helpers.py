"""A small store with a live gallery and index, and a way to stage backfill shards."""

from __future__ import annotations

import socket
from pathlib import Path

import numpy as np
import pyarrow as pa

from tests.store.helpers import unit_vectors, write_embeddings
from upgradeflow.backfill.planning import BackfillRequest, order_slice, plan_backfill
from upgradeflow.index.sharded import IndexCatalog
from upgradeflow.store.gallery import Gallery
from upgradeflow.store.importer import import_tables
from upgradeflow.store.local import LocalStore
from upgradeflow.store.shard_format import shard_schema

DIM = 16


class Deployment:
    """What a pipeline leaves in a store: gallery versions, index versions, pointers."""

    def __init__(self, root: Path, rows: int = 600, shard_rows: int = 200) -> None:
        self.root = root
        self.store = LocalStore(root / "store")
        self.gallery = Gallery(self.store, "g")
        self.catalog = IndexCatalog(self.store, "g")
        self.vectors: dict[str, np.ndarray] = {}
        self.rows, self.shard_rows = rows, shard_rows

    def commit(self, version: str, seed: int) -> np.ndarray:
        vectors = unit_vectors(self.rows, DIM, seed)
        path = write_embeddings(self.root / f"{version}.parquet", self.rows, vectors=vectors)
        import_tables(self.gallery, path, version=version, shard_rows=self.shard_rows, progress=False)
        self.vectors[version] = vectors
        return vectors

    def build_and_swap(self, gallery_version: str) -> str:
        version, _ = self.catalog.build(self.gallery, gallery_version, progress=False)
        self.catalog.swap(version)
        return version

    def plan_backfill(self, source: str, target: str) -> None:
        request = BackfillRequest(model="models:/m/2", model_sha256="0" * 64, dimension=DIM, policy="random")
        plan_backfill(self.gallery, source, target, request)

    def write_backfill_shard(self, target: str, index: int, new_vectors: np.ndarray) -> list[str]:
        """Write backfill shard ``index`` with ``new_vectors``' rows for its items (by id)."""
        items = order_slice(self.gallery, target, index)
        ids = items.column("id").to_pylist()
        rows = [int(i.rsplit("-", 1)[1]) for i in ids]
        schema = shard_schema(DIM, [*items.column_names, "model"])
        columns = {name: items.column(name).combine_chunks() for name in items.column_names}
        columns["embedding"] = pa.FixedSizeListArray.from_arrays(pa.array(new_vectors[rows].reshape(-1)), DIM)
        columns["model"] = pa.array(["new"] * len(ids))
        batch = pa.RecordBatch.from_arrays([columns[f.name] for f in schema], schema=schema)
        self.gallery.write_shard(target, index, [batch], schema)
        return ids


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def exact_top_k(vectors: np.ndarray, queries: np.ndarray, k: int) -> tuple[np.ndarray, list[list[str]]]:
    scores = queries @ vectors.T
    order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(scores, order, 1), [[f"item-{i}" for i in row] for row in order]

"""A small store with a live gallery and index, a way to stage backfill shards, the
service as a process, a backfill part to search, and hand-made PNG files."""

from __future__ import annotations

import os
import socket
import struct
import subprocess
import sys
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np
import pyarrow as pa

from tests.store.helpers import unit_vectors, write_embeddings
from upgradeflow.backfill.planning import BackfillRequest, order_slice, plan_backfill
from upgradeflow.index.sharded import IndexCatalog
from upgradeflow.store.gallery import Gallery
from upgradeflow.store.importer import import_tables
from upgradeflow.store.local import LocalStore
from upgradeflow.store.object_store import ObjectStore
from upgradeflow.store.shard_format import shard_schema

DIM = 16


class Deployment:
    """What a pipeline leaves in a store: gallery versions, index versions, pointers."""

    def __init__(self, root: Path, rows: int = 600, shard_rows: int = 200, store: ObjectStore | None = None) -> None:
        self.root = root
        self.store = store or LocalStore(root / "store")
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


def backfill_part(deployment: Deployment, target: str = "v1.backfill", previous=None):
    """The part of a serving snapshot made of every finished shard of ``target``, over
    the live ``v1.flat``: (the part, the index)."""
    from upgradeflow.backfill.progress import backfill_progress
    from upgradeflow.index.sharded import ShardedIndex
    from upgradeflow.serve.backfill_part import load_backfill_part

    index = ShardedIndex.load(deployment.catalog, "v1.flat")
    records = deployment.gallery.finished_shards(target)
    progress = backfill_progress(deployment.gallery, target, records)
    ids = pa.array(index.ids, pa.string())
    return load_backfill_part(deployment.gallery, progress, records, index, ids, previous), index


def image_deployment(root: Path, image_size: int = 12) -> tuple[Deployment, Path, np.ndarray]:
    """A live gallery of 300 random images embedded by a small saved model: the store,
    the model's checkpoint (for ``--model``) and the images (uint8 [300, size, size])."""
    import torch

    from upgradeflow.backfill.extraction import embed_batch
    from upgradeflow.models.checkpoint import save_model
    from upgradeflow.models.config import ModelConfig
    from upgradeflow.models.embedder import EmbeddingModel

    torch.manual_seed(0)
    model = EmbeddingModel(ModelConfig(width=8, depth=2, embedding_dim=DIM, image_size=image_size))
    checkpoint = save_model(model, root / "model.pt")
    images = np.random.default_rng(0).integers(0, 256, size=(300, image_size, image_size), dtype=np.uint8)
    deployment = Deployment(root, rows=300, shard_rows=100)
    path = write_embeddings(root / "g.parquet", 300, vectors=embed_batch(model.eval(), images))
    import_tables(deployment.gallery, path, version="v1", shard_rows=100, progress=False)
    deployment.build_and_swap("v1")
    return deployment, checkpoint, images


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def exact_top_k(vectors: np.ndarray, queries: np.ndarray, k: int) -> tuple[np.ndarray, list[list[str]]]:
    scores = queries @ vectors.T
    order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(scores, order, 1), [[f"item-{i}" for i in row] for row in order]


@dataclass(frozen=True)
class RunningService:
    base: str
    process: subprocess.Popen
    log: Path  # the process's stderr: its structured log


@contextmanager
def running_service(
    deployment: Deployment, *args: str, env: dict[str, str] | None = None, ready_path: str = "/readyz"
) -> Iterator[RunningService]:
    """``upgradeflow serve`` over ``deployment``'s store as its own process on a free
    loopback port, once ``ready_path`` answers 200; stopped on exit. Its log goes to a
    file, not a pipe, so a long run never blocks on a full pipe."""
    port = free_port()
    log = deployment.root / f"serve-{port}.log"
    command = [sys.executable, "-m", "upgradeflow.cli", "serve", "--root", str(deployment.store.root)]
    command += ["--gallery", "g", "--index", "g", "--port", str(port), *args]
    with log.open("w") as sink:
        process = subprocess.Popen(command, env={**os.environ, **(env or {})}, stderr=sink)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, log.read_text()
            try:
                if httpx.get(base + ready_path).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        yield RunningService(base, process, log)
    finally:
        process.terminate()
        process.wait(timeout=30)


def png(width: int, height: int, *, mode: str = "L", rows: int | None = None) -> bytes:
    """A PNG file declaring ``width`` x ``height`` pixels (8-bit ``L`` or ``RGB``), all
    zero, written row by row so that a huge one costs no memory to make; with ``rows``
    its data stops after that many rows (a truncated file)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    channels, color_type = {"L": (1, 0), "RGB": (3, 2)}[mode]
    compressor, row = zlib.compressobj(9), bytes(1 + width * channels)  # filter byte 0, then the row
    data = b"".join(compressor.compress(row) for _ in range(height if rows is None else rows))
    data += compressor.flush() if rows is None else compressor.flush(zlib.Z_SYNC_FLUSH)
    header = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


def request_count(exposition: str, endpoint: str, status: int) -> float:
    """The service's request counter for ``endpoint`` and ``status`` in a ``/metrics``
    text (0 when that pair has never been counted)."""
    from prometheus_client.parser import text_string_to_metric_families

    wanted = {"endpoint": endpoint, "status": str(status)}
    for family in text_string_to_metric_families(exposition):
        for sample in family.samples:
            if sample.name == "upgradeflow_serve_requests_total" and sample.labels == wanted:
                return sample.value
    return 0.0

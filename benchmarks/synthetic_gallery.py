"""A generated gallery of unit vectors, written straight into shards (shared by benchmarks)."""

from __future__ import annotations

import os
import platform
from pathlib import Path

import numpy as np
import pyarrow as pa

from upgradeflow.store.gallery import Gallery
from upgradeflow.store.local import LocalStore
from upgradeflow.store.manifest import Plan
from upgradeflow.store.shard_format import shard_schema

BATCH = 65_536


def make_gallery(root: Path, name: str, shards: int, rows_per_shard: int, dim: int, seed: int = 0) -> Gallery:
    """A committed gallery of ``shards`` x ``rows_per_shard`` random unit vectors."""
    gallery = Gallery(LocalStore(root), name)
    if gallery.pointer().current == "v1":
        return gallery
    rng = np.random.default_rng(seed)
    schema = shard_schema(dim, ["id", "embedding", "source", "model"])
    gallery.stage("v1", Plan(shards=shards, parent=None, producer={"kind": "synthetic", "seed": seed}))

    def batches(shard: int):
        for start in range(0, rows_per_shard, BATCH):
            n = min(BATCH, rows_per_shard - start)
            x = rng.standard_normal((n, dim), dtype=np.float32)
            x /= np.linalg.norm(x, axis=1, keepdims=True)
            ids = [f"s{shard}-{start + i}" for i in range(n)]
            yield pa.RecordBatch.from_arrays(
                [
                    pa.array(ids, pa.string()),
                    pa.FixedSizeListArray.from_arrays(pa.array(x.reshape(-1)), dim),
                    pa.array([f"s3://raw/{i}.jpg" for i in ids], pa.string()),
                    pa.array(["old"] * n, pa.string()),
                ],
                schema=schema,
            )

    for shard in range(shards):
        gallery.write_shard("v1", shard, batches(shard), schema)
    gallery.commit("v1")
    return gallery


def environment() -> dict:
    import pyarrow
    import torch

    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "pyarrow": pyarrow.__version__,
        "numpy": np.__version__,
        "cpus": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
    }

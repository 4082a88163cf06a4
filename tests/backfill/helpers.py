"""A tiny image dataset, tiny models and an evolved gallery over it, for backfill tests."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import torch
from PIL import Image

from upgradeflow.embeddings import write_embedding_table
from upgradeflow.models.config import ModelConfig
from upgradeflow.models.embedder import EmbeddingModel
from upgradeflow.models.inference import embed_images
from upgradeflow.store.gallery import Gallery
from upgradeflow.store.importer import import_tables
from upgradeflow.upgrade.evolve import evolve_shard

SIZE = 32  # what load_dataset decodes parquet images to


def image_dataset(path: Path, identities: int = 12, per_identity: int = 5, seed: int = 0) -> Path:
    """``parquet:PATH`` images: noisy copies of one random pattern per identity."""
    rng = np.random.default_rng(seed)
    patterns = rng.integers(0, 256, (identities, SIZE, SIZE))
    ids, labels, blobs = [], [], []
    for identity in range(identities):
        for sample in range(per_identity):
            noisy = np.clip(patterns[identity] + rng.normal(0, 40, (SIZE, SIZE)), 0, 255).astype(np.uint8)
            buffer = io.BytesIO()
            Image.fromarray(noisy).save(buffer, format="PNG")
            ids.append(f"img{identity:03d}-{sample}")
            labels.append(identity)
            blobs.append(buffer.getvalue())
    pq.write_table(pa.table({"id": ids, "identity": pa.array(labels, pa.int64()), "image": blobs}), path)
    return path


def tiny_model(seed: int, dim: int = 16) -> EmbeddingModel:
    torch.manual_seed(seed)
    return EmbeddingModel(ModelConfig(width=8, depth=2, embedding_dim=dim, image_size=SIZE)).eval()


def evolved_gallery(gallery: Gallery, dataset: Path, adapter: Path, *, shard_rows: int = 16) -> str:
    """Import the old model's embeddings as ``v1`` (live), evolve it; returns the evolved version."""
    from upgradeflow.data.image_parquet import read_image_parquet

    data = read_image_parquet(dataset, image_size=SIZE, progress=False)
    table = write_embedding_table(
        dataset.with_name("old.parquet"),
        data.ids,
        embed_images(tiny_model(1), data.images, device="cpu"),
        data.identities,
        "old",
        sources=[f"parquet:{dataset}:{i}" for i in data.ids],
    )
    import_tables(gallery, table, version="v1", shard_rows=shard_rows, progress=False)
    shards = len(gallery.manifest("v1")["shards"])
    target = None
    for index in range(shards):
        target, _, _ = evolve_shard(gallery, adapter, "v1", index)
    gallery.commit(target)
    return target

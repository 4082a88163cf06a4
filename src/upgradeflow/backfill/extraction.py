"""Re-extracting one backfill shard with the new model.

Shard N's items come from the stored order (``planning.order_slice``); their raw images
come back through their ``source``; the new model embeds them batch by batch, and the
shard is published whole through ``Gallery.write_shard`` (then its record), so a killed
run leaves the shard unfinished and invisible, and a re-run skips the shards already
written by the same model in the same order.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import torch
from tqdm import tqdm

from upgradeflow.backfill.planning import backfill_plan, order_slice
from upgradeflow.data.sources import SourceResolver
from upgradeflow.errors import UserInputError
from upgradeflow.models.embedder import EmbeddingModel
from upgradeflow.models.inference import embed_images
from upgradeflow.progress import counted
from upgradeflow.store.gallery import Gallery
from upgradeflow.store.manifest import ShardRecord
from upgradeflow.store.prefetch import prefetch
from upgradeflow.store.shard_format import check_batch, shard_schema

BATCH_ROWS = 2048  # images per model call: raw images are far larger than embeddings


def model_digest(model: EmbeddingModel) -> str:
    """sha256 over the config and every weight: the same model loaded from a checkpoint or
    from the registry gets the same name, so either can resume the other's backfill."""
    digest = hashlib.sha256(json.dumps(model.config.to_dict(), sort_keys=True).encode())
    for name, tensor in model.state_dict().items():
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


def embed_batch(model: EmbeddingModel, images: np.ndarray) -> np.ndarray:
    """L2-normalised float32 embeddings [N, d] of uint8 images [N, H, W]."""
    with torch.inference_mode():
        out = embed_images(model, images, device="cpu").astype(np.float32)
    return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)


def _extracted(
    model: EmbeddingModel,
    resolver: SourceResolver,
    items: pa.Table,
    schema: pa.Schema,
    label: str,
    batch_rows: int,
    where: str,
) -> Iterator[pa.RecordBatch]:
    dimension = schema.field("embedding").type.list_size
    for batch in items.to_batches(max_chunksize=batch_rows):
        vectors = embed_batch(model, resolver.images(batch.column("source").to_pylist()))
        columns = {name: batch.column(name) for name in schema.names if name in batch.schema.names}
        columns["embedding"] = pa.FixedSizeListArray.from_arrays(pa.array(vectors.reshape(-1), pa.float32()), dimension)
        columns["model"] = pa.array([label] * batch.num_rows, pa.string())
        out = pa.RecordBatch.from_arrays([columns[f.name] for f in schema], schema=schema)
        check_batch(out, dimension, where)
        yield out


def backfill_shard(
    gallery: Gallery,
    version: str,
    index: int,
    model: EmbeddingModel,
    resolver: SourceResolver,
    *,
    batch_rows: int = BATCH_ROWS,
    progress: bool = False,
) -> tuple[ShardRecord, bool]:
    """Write backfill shard ``index`` of the planned ``version``; returns its record and
    whether work was done (False: the same model already finished it in the same order)."""
    plan = backfill_plan(gallery, version)
    producer = plan.producer
    where = gallery.where(version)
    if model.config.embedding_dim != producer["dimension"]:
        raise UserInputError(
            f"the model embeds {model.config.embedding_dim}-d, {where} is a {producer['dimension']}-d backfill"
        )
    digest = model_digest(model)
    if digest != producer["sha256"]:
        planned = f"{producer['model']} ({producer['sha256'][:12]})"
        raise UserInputError(f"{where}: planned for model {planned}, not this one")
    if not 0 <= index < plan.shards:
        raise UserInputError(f"{where}: no backfill shard {index} (it has {plan.shards})")
    done = gallery.finished_shard(version, index)
    if done is not None and done.source_sha256 == producer["order_sha256"] and done.producer_sha256 == digest:
        return done, False
    items = order_slice(gallery, version, index)
    # The order keeps the source's id, source and identity; the rank is where it came from.
    schema = shard_schema(producer["dimension"], [*items.column_names, "model"])
    batches = prefetch(_extracted(model, resolver, items, schema, producer["model"], batch_rows, where))
    with tqdm(total=items.num_rows, unit="img", desc=f"backfill shard {index}", disable=not progress) as bar:
        record = gallery.write_shard(
            version,
            index,
            counted(batches, bar),
            schema,
            source_sha256=producer["order_sha256"],
            producer_sha256=digest,
        )
    return record, True

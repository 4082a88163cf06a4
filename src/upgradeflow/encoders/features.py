"""Backbone features computed once per (encoder, dataset) and kept in the store.

Training a compatible head on a frozen pretrained backbone needs the backbone's vector
of every training item, and every head trained on the same data needs the same vectors.
Encoding is the expensive part (minutes to hours on CPUs); fitting a head on cached
vectors takes seconds. The cache is keyed on both fingerprints, so a changed weight
file or a changed dataset can never be served a stale vector. It is written shard by
shard, each shard atomically: a killed run resumes from the shards it finished. The
manifest, written last, says what a complete cache holds (which encoder, which data).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from itertools import islice

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from upgradeflow.data.items import ItemSet
from upgradeflow.encoders.base import Encoder, embed_stream
from upgradeflow.store.object_store import ObjectStore, join
from upgradeflow.store.shard_format import embedding_array, embeddings_of, open_writer, shard_schema

PREFIX = "features"
MANIFEST = "manifest.json"
SHARD_ROWS = 8192
KEY_CHARS = 20


@dataclass(frozen=True)
class Features:
    vectors: np.ndarray  # float32 [rows, dimension], in the item set's row order
    key: str  # where they are cached in the store
    reused_rows: int  # rows read from the cache rather than encoded
    seconds: float


def cache_key(encoder: Encoder, items: ItemSet) -> str:
    return join(PREFIX, encoder.fingerprint[:KEY_CHARS], items.fingerprint[:KEY_CHARS])


def _shard_key(key: str, index: int) -> str:
    return join(key, f"part-{index:05d}.parquet")


def _read_shard(store: ObjectStore, key: str) -> np.ndarray:
    with store.local_copy(key) as path:
        return embeddings_of(pq.read_table(path, columns=["embedding"])).copy()


def encoded_features(
    encoder: Encoder, items: ItemSet, store: ObjectStore, batch_size: int = 64, shard_rows: int = SHARD_ROWS
) -> Features:
    """The encoder's vector of every item, from the cache where it holds them."""
    encoder.check_modality(items.modality, items.location)
    started = time.perf_counter()
    key = cache_key(encoder, items)
    shards = -(-len(items) // shard_rows)
    parts, reused = [], 0
    raw, position = None, 0  # one pass over the raw items, opened only if a shard needs encoding
    for index in range(shards):
        rows = np.arange(index * shard_rows, min((index + 1) * shard_rows, len(items)))
        shard = _shard_key(key, index)
        if store.exists(shard):
            vectors = _read_shard(store, shard)
            if len(vectors) == len(rows):  # else cut at other boundaries: encoded again
                parts.append(vectors)
                reused += len(rows)
                continue
        if raw is None:
            raw = items.items()
        skip = rows[0] - position  # the items of shards read from the cache since the last encoded one
        next(islice(raw, skip, skip), None)  # itertools' "consume" recipe
        position = rows[-1] + 1
        stream = embed_stream(
            encoder, islice(raw, len(rows)), batch_size, len(rows), f"encoding shard {index + 1}/{shards}"
        )
        vectors = np.concatenate(list(stream))
        table = pa.table({"id": pa.array(items.ids[rows]), "embedding": embedding_array(vectors)})
        with store.publish(shard) as path, open_writer(path, shard_schema(encoder.dimension, [])) as writer:
            writer.write_table(table.cast(shard_schema(encoder.dimension, [])))
        parts.append(vectors)
    if reused < len(items) or not store.exists(join(key, MANIFEST)):
        data = {"location": items.location, "fingerprint": items.fingerprint}
        document = {"rows": len(items), "shard_rows": shard_rows, "shards": shards,
                    "encoder": encoder.describe(), "data": data}  # fmt: skip
        store.write(join(key, MANIFEST), json.dumps(document, indent=2, sort_keys=True).encode())
    vectors = np.concatenate(parts) if parts else np.zeros((0, encoder.dimension), dtype=np.float32)
    return Features(vectors, key, reused, round(time.perf_counter() - started, 2))

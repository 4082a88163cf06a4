"""The part of a gallery that a backfill in progress has already re-extracted.

While a backfill runs, the live index still holds every item's old (or evolved)
embedding. The finished backfill shards hold the new model's embeddings of the items
ranked first; a search answers those items from here and leaves their stale rows out of
the live index (the pipeline's step 7). Shards are read once each, checksum-verified, and
reused by the next part as more shards finish.
"""

from __future__ import annotations

from dataclasses import dataclass

import faiss
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from upgradeflow.backfill.progress import BackfillProgress
from upgradeflow.errors import UserInputError
from upgradeflow.index.sharded import RowFilter, ShardedIndex
from upgradeflow.store.gallery import Gallery
from upgradeflow.store.manifest import ShardRecord
from upgradeflow.store.shard_format import embeddings_of


@dataclass(frozen=True)
class LoadedShard:
    sha256: str
    ids: pa.Array
    embeddings: np.ndarray


@dataclass(frozen=True)
class BackfillPart:
    progress: BackfillProgress  # of the backfill version, as far as this part holds it
    source: str  # the gallery version being backfilled: the one the live index holds
    shards: dict[int, LoadedShard]
    index: faiss.Index  # exact inner product over every finished shard's rows
    ids: np.ndarray
    stale_rows: RowFilter  # the backfilled items' rows in the live index, left out
    record_keys: frozenset[str] = frozenset()  # the shard records this part was built from

    @property
    def version(self) -> str:
        return self.progress.version

    @property
    def rows(self) -> int:
        return len(self.ids)

    @property
    def fraction(self) -> float:
        return self.progress.fraction

    def describe(self) -> dict:
        return {**self.progress.to_dict(), "source": self.source}

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` over the backfilled rows, padded to ``k`` with (-inf, None)."""
        found = min(k, self.index.ntotal)
        scores = np.full((len(queries), k), -np.inf, dtype=np.float32)
        ids = np.full((len(queries), k), None, dtype=object)
        if found:
            top_scores, rows = self.index.search(queries, found)
            valid = rows >= 0
            scores[:, :found] = np.where(valid, top_scores, -np.inf)
            ids[:, :found] = np.where(valid, self.ids[np.maximum(rows, 0)], None)
        return scores, ids


def _read_shard(gallery: Gallery, version: str, record: ShardRecord) -> LoadedShard:
    with gallery.open_staged_shard(version, record) as path:
        table = pq.read_table(path, columns=["id", "embedding"])
    return LoadedShard(record.sha256, table.column("id").combine_chunks(), embeddings_of(table))


def load_backfill_part(
    gallery: Gallery,
    progress: BackfillProgress,
    records: dict[int, ShardRecord],
    live: ShardedIndex,
    live_ids: pa.Array,
    previous: BackfillPart | None = None,
) -> BackfillPart:
    """The part made of ``records`` (finished shards), reusing ``previous``'s loaded shards."""
    version = progress.version
    reuse = previous.shards if previous is not None and previous.version == version else {}
    shards = {}
    for index, record in sorted(records.items()):
        kept = reuse.get(index)
        shards[index] = (
            kept if kept is not None and kept.sha256 == record.sha256 else _read_shard(gallery, version, record)
        )
    dimension = live.dimension
    index = faiss.IndexFlatIP(dimension)
    ids = pa.concat_arrays([s.ids for s in shards.values()]) if shards else pa.array([], pa.string())
    for shard in shards.values():
        if shard.embeddings.shape[1] != dimension:
            raise UserInputError(
                f"{gallery.where(version)}: holds {shard.embeddings.shape[1]}-d embeddings, "
                f"the live index {dimension}-d"
            )
        index.add(shard.embeddings)
    positions = pc.index_in(ids, value_set=live_ids).drop_null().to_numpy()
    return BackfillPart(
        progress=progress,
        source=live.manifest["gallery_version"],
        shards=shards,
        index=index,
        ids=ids.to_numpy(zero_copy_only=False).astype(object),
        stale_rows=live.excluding(positions),
    )

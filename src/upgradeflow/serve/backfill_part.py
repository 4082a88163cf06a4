"""The part of a gallery that a backfill in progress has already re-extracted.

While a backfill runs, the live index still holds every item's old (or evolved)
embedding. The finished backfill shards hold the new model's embeddings of the items
ranked first; a search answers those items from here and leaves their stale rows out of
the live index (DESIGN §1, step 7). Shards are read once each, checksum-verified, and
reused by the next part as more shards finish.
"""

from __future__ import annotations

from dataclasses import dataclass

import faiss
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from upgradeflow.errors import UserInputError
from upgradeflow.index.sharded import RowFilter, ShardedIndex
from upgradeflow.store.gallery import Gallery, corrupt_shard
from upgradeflow.store.manifest import ShardRecord
from upgradeflow.store.shard_format import embeddings_of, file_sha256


@dataclass(frozen=True)
class LoadedShard:
    sha256: str
    ids: pa.Array
    embeddings: np.ndarray


@dataclass(frozen=True)
class BackfillPart:
    version: str
    source: str  # the gallery version being backfilled (the one the live index holds)
    shards: dict[int, LoadedShard]
    planned_shards: int
    planned_rows: int
    index: faiss.Index  # exact inner product over every finished shard's rows
    ids: np.ndarray
    stale_rows: RowFilter  # the backfilled items' rows in the live index, left out
    record_keys: frozenset[str] = frozenset()  # the shard records this part was built from

    @property
    def rows(self) -> int:
        return len(self.ids)

    @property
    def fraction(self) -> float:
        return self.rows / self.planned_rows if self.planned_rows else 1.0

    def describe(self) -> dict:
        return {
            "version": self.version,
            "source": self.source,
            "shards_done": sorted(self.shards),
            "shards": self.planned_shards,
            "rows_done": self.rows,
            "rows": self.planned_rows,
            "fraction": round(self.fraction, 6),
        }

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
    key = gallery.version_key(version, record.path)
    try:
        with gallery.store.local_copy(key) as path:
            if file_sha256(path) != record.sha256:
                raise corrupt_shard(gallery.where(version), record.index)
            table = pq.read_table(path, columns=["id", "embedding"])
    except FileNotFoundError:
        raise UserInputError(f"{gallery.where(version)}: shard {record.index} is missing ({key})") from None
    return LoadedShard(record.sha256, table.column("id").combine_chunks(), embeddings_of(table))


def load_backfill_part(
    gallery: Gallery,
    version: str,
    source: str,
    records: dict[int, ShardRecord],
    live: ShardedIndex,
    live_ids: pa.Array,
    planned: tuple[int, int],
    previous: BackfillPart | None = None,
) -> BackfillPart:
    """The part made of ``records`` (finished shards), reusing ``previous``'s loaded shards."""
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
        version=version,
        source=source,
        shards=shards,
        planned_shards=planned[0],
        planned_rows=planned[1],
        index=index,
        ids=ids.to_numpy(zero_copy_only=False).astype(object),
        stale_rows=live.excluding(positions),
    )

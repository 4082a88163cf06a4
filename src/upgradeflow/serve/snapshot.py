"""One loaded, immutable view of the live search state.

A request takes the current snapshot once and answers entirely from it, so no response
mixes two index versions or two backfill states; switching is one reference assignment,
and an old snapshot lives on until the last request holding it finishes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from upgradeflow.backfill.rank_merge import merged_top_k
from upgradeflow.index.sharded import ShardedIndex
from upgradeflow.serve.backfill_part import BackfillPart
from upgradeflow.serve.query_model import QueryModel


@dataclass(frozen=True)
class Snapshot:
    index: ShardedIndex
    index_ids: pa.Array  # the index's row ids, for matching backfilled items to their rows
    backfill: BackfillPart | None
    model: QueryModel | None
    gallery_producer: dict  # the served gallery version's producer (model, adapter, backfill)
    loaded_at: str

    @property
    def index_version(self) -> str:
        return self.index.manifest["version"]

    @property
    def gallery_version(self) -> str:
        return self.index.manifest["gallery_version"]

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` (scores, ids); during a backfill, the backfilled items come from the
        backfill's rows and the rest from the live index, merged by similarity."""
        if self.backfill is None or self.backfill.rows == 0:
            return self.index.search(queries, k)
        rest_scores, rest_ids = self.index.search(queries, k, self.backfill.stale_rows)
        new_scores, new_ids = self.backfill.search(queries, k)
        return merged_top_k(new_scores, new_ids, rest_scores, rest_ids, k)

    def describe(self) -> dict:
        """What answered a request: enough to recompute the answer exactly."""
        return {
            "index_version": self.index_version,
            "gallery_version": self.gallery_version,
            "backfill": self.backfill.describe() if self.backfill else None,
            "model": self.model.describe() if self.model else None,
        }

"""A snapshot answers a request wholly from one index version and one backfill state."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from tests.serve.helpers import DIM, backfill_part, exact_top_k
from tests.store.helpers import unit_vectors
from upgradeflow.index.sharded import ShardedIndex
from upgradeflow.serve.snapshot import Snapshot

NEW = unit_vectors(600, DIM, seed=5)


def snapshot(index: ShardedIndex, backfill=None) -> Snapshot:
    return Snapshot(index, pa.array(index.ids, pa.string()), backfill, None, {"kind": "import"}, "now")


def test_without_a_backfill_the_live_index_answers(deployment):
    index = ShardedIndex.load(deployment.catalog, "v1.flat")
    queries = unit_vectors(3, DIM, seed=9)
    _, ids = snapshot(index).search(queries, 6)
    assert ids.tolist() == exact_top_k(deployment.vectors["v1"], queries, 6)[1]
    assert snapshot(index).describe() == {
        "index_version": "v1.flat", "gallery_version": "v1", "backfill": None, "model": None
    }  # fmt: skip


def test_a_backfill_with_no_rows_yet_changes_nothing(deployment):
    deployment.plan_backfill("v1", "v1.backfill")
    part, index = backfill_part(deployment)
    queries = unit_vectors(3, DIM, seed=9)
    assert part.rows == 0
    assert snapshot(index, part).search(queries, 6)[1].tolist() == snapshot(index).search(queries, 6)[1].tolist()
    assert snapshot(index, part).describe()["backfill"]["fraction"] == 0.0


def test_backfilled_items_answer_with_their_new_vectors(deployment):
    deployment.plan_backfill("v1", "v1.backfill")
    done = deployment.write_backfill_shard("v1.backfill", 2, NEW)
    part, index = backfill_part(deployment)
    merged = deployment.vectors["v1"].copy()
    rows = [int(i.rsplit("-", 1)[1]) for i in done]
    merged[rows] = NEW[rows]
    queries = unit_vectors(10, DIM, seed=11)
    scores, ids = snapshot(index, part).search(queries, 8)
    want_scores, want_ids = exact_top_k(merged, queries, 8)
    assert ids.tolist() == want_ids
    np.testing.assert_allclose(scores, want_scores, rtol=1e-5)

"""The live view: follows swaps and rollbacks, refuses corrupt indexes, merges backfills."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.serve.helpers import DIM, Deployment, exact_top_k
from tests.store.helpers import unit_vectors
from upgradeflow.backfill.publication import publish_backfill
from upgradeflow.errors import UserInputError
from upgradeflow.serve.live import LiveView


def live_view(deployment: Deployment, events: list | None = None) -> LiveView:
    listener = (lambda event, fields: events.append((event, fields))) if events is not None else None
    return LiveView(deployment.store, "g", "g", poll_seconds=0.05, retry_seconds=60, listener=listener)


def test_serves_the_live_index_and_follows_swap_and_rollback(deployment):
    live = live_view(deployment)
    assert live.refresh() is True
    queries = unit_vectors(5, DIM, seed=9)
    scores, ids = live.snapshot.search(queries, 7)
    want_scores, want_ids = exact_top_k(deployment.vectors["v1"], queries, 7)
    assert ids.tolist() == want_ids
    np.testing.assert_allclose(scores, want_scores, rtol=1e-5)
    assert live.refresh() is False  # nothing moved: no reload

    deployment.commit("v2", seed=2)
    deployment.build_and_swap("v2")
    assert live.refresh() is True
    assert live.snapshot.index_version == "v2.flat"
    assert live.snapshot.search(queries, 7)[1].tolist() == exact_top_k(deployment.vectors["v2"], queries, 7)[1]

    deployment.catalog.rollback()
    assert live.refresh() is True
    assert live.status()["index"]["version"] == "v1.flat"
    gallery = live.status()["gallery"]
    assert (gallery["live"], gallery["served"], gallery["served_producer"]["kind"]) == ("v2", "v1", "import")


def test_a_corrupt_index_is_refused_and_the_previous_one_stays(deployment):
    events = []
    live = live_view(deployment, events)
    live.refresh()
    before = live.snapshot
    deployment.commit("v2", seed=2)
    version, _ = deployment.catalog.build(deployment.gallery, "v2", progress=False)
    deployment.catalog.swap(version)  # verified whole; the file rots afterwards
    shard = Path(deployment.store.root) / "indexes/g/versions/v2.flat/shards/shard-00001.faiss"
    blob = bytearray(shard.read_bytes())
    blob[-1] ^= 0xFF
    shard.write_bytes(bytes(blob))

    assert live.refresh() is False
    assert live.snapshot is before
    error = live.status()["last_error"]["message"]
    assert "v2.flat" in error and "corrupt (checksum)" in error and "\n" not in error
    assert events[-1][0] == "load_failed"
    assert live.refresh() is False  # not retried until the pointer moves or the retry time passes
    assert sum(event == "load_failed" for event, _ in events) == 1

    deployment.catalog.rollback()
    assert live.refresh() is False  # back to what is served: nothing to load, the error is over
    assert live.status()["last_error"] is None


def test_during_a_backfill_search_merges_the_backfilled_rows_with_the_rest(deployment):
    live = live_view(deployment)
    live.refresh()
    old = deployment.vectors["v1"]
    new = unit_vectors(len(old), DIM, seed=5)
    deployment.plan_backfill("v1", "v1.backfill")
    queries = unit_vectors(20, DIM, seed=11)
    done: list[str] = []
    for shard, expected_fraction in [(0, 1 / 3), (2, 2 / 3)]:
        done += deployment.write_backfill_shard("v1.backfill", shard, new)
        publish_backfill(deployment.gallery, "v1.backfill", [shard])
        assert live.refresh() is True
        status = live.status()
        assert status["backfilled_fraction"] == pytest.approx(expected_fraction)
        assert status["backfill"]["shards_done"] == sorted([0, 2][: 1 + (shard == 2)])
        # Exact search over the gallery as it stands: new vectors for backfilled items, old for the rest.
        rows = np.array([int(i.rsplit("-", 1)[1]) for i in done])
        merged = old.copy()
        merged[rows] = new[rows]
        want_scores, want_ids = exact_top_k(merged, queries, 10)
        scores, ids = live.snapshot.search(queries, 10)
        assert ids.tolist() == want_ids
        np.testing.assert_allclose(scores, want_scores, rtol=1e-5)
        assert len({i for row in ids.tolist() for i in row}) > 10


def test_a_backfill_changes_no_answer_until_it_is_published(deployment):
    live = live_view(deployment)
    live.refresh()
    queries = unit_vectors(20, DIM, seed=11)
    served = live.snapshot.search(queries, 10)[1].tolist()
    deployment.plan_backfill("v1", "v1.backfill")
    deployment.write_backfill_shard("v1.backfill", 0, unit_vectors(600, DIM, seed=5))
    deployment.write_backfill_shard("v1.backfill", 1, unit_vectors(600, DIM, seed=5))
    assert live.refresh() is False
    assert live.snapshot.backfill is None
    assert live.snapshot.search(queries, 10)[1].tolist() == served

    publish_backfill(deployment.gallery, "v1.backfill", [1])
    assert live.refresh() is True
    assert live.status()["backfill"]["shards_done"] == [1]  # only what was published


def test_a_backfill_is_merged_only_into_the_version_it_fills(deployment):
    live = live_view(deployment)
    deployment.plan_backfill("v1", "v1.backfill")
    deployment.write_backfill_shard("v1.backfill", 0, unit_vectors(600, DIM, seed=5))
    deployment.commit("v2", seed=2)  # the gallery moves on to v2; the index still serves v1
    deployment.plan_backfill("v2", "v2.backfill")
    deployment.write_backfill_shard("v2.backfill", 0, unit_vectors(600, DIM, seed=6))
    with pytest.raises(UserInputError, match="only while the version it fills is live"):
        publish_backfill(deployment.gallery, "v1.backfill")
    publish_backfill(deployment.gallery, "v2.backfill")  # live in the gallery, not in the index
    live.refresh()
    assert live.snapshot.backfill is None


def test_no_live_index_means_not_ready(tmp_path):
    deployment = Deployment(tmp_path)
    live = live_view(deployment)
    assert live.refresh() is False
    assert live.status()["ready"] is False


def test_the_polling_thread_picks_up_a_swap(deployment):
    import time

    live = live_view(deployment)
    live.start()
    try:
        deadline = time.monotonic() + 10
        while live.snapshot is None and time.monotonic() < deadline:
            time.sleep(0.02)
        deployment.commit("v2", seed=2)
        deployment.build_and_swap("v2")
        while live.snapshot.index_version != "v2.flat" and time.monotonic() < deadline:
            time.sleep(0.02)
        assert live.snapshot.index_version == "v2.flat"
    finally:
        live.stop()

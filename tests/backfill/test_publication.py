"""Publishing a backfill: the only way its shards reach a search, checked and conditional."""

from __future__ import annotations

import threading

import pytest

from tests.serve.helpers import DIM, Deployment
from tests.store.helpers import unit_vectors
from upgradeflow.backfill.marker import BackfillMarker, published_marker
from upgradeflow.backfill.publication import publish_backfill
from upgradeflow.errors import UserInputError
from upgradeflow.store.location import open_store


@pytest.fixture
def staged(store_uri, tmp_path) -> Deployment:
    """v1 live, a four-shard backfill of it planned and every shard written."""
    deployment = Deployment(tmp_path, rows=400, shard_rows=100, store=open_store(store_uri))
    deployment.commit("v1", seed=1)
    deployment.plan_backfill("v1", "v1.backfill")
    new = unit_vectors(400, DIM, seed=5)
    for shard in range(4):
        deployment.write_backfill_shard("v1.backfill", shard, new)
    return deployment


def test_concurrent_publishers_lose_no_shard(staged):
    barrier = threading.Barrier(4)
    errors = []

    def publish(shard: int) -> None:
        barrier.wait()
        try:
            publish_backfill(staged.gallery, "v1.backfill", [shard])
        except Exception as error:  # collected: a thread's failure must fail the test
            errors.append(error)

    threads = [threading.Thread(target=publish, args=(shard,)) for shard in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert published_marker(staged.gallery) == BackfillMarker("v1", "v1.backfill", (0, 1, 2, 3))


def test_a_corrupt_or_unfinished_shard_is_refused_before_the_marker_moves(staged):
    publish_backfill(staged.gallery, "v1.backfill", [0])
    record = staged.gallery.finished_shard("v1.backfill", 1)
    key = staged.gallery.version_key("v1.backfill", record.path)
    blob = bytearray(staged.store.read(key))
    blob[len(blob) // 2] ^= 0xFF
    staged.store.write(key, bytes(blob))
    with pytest.raises(UserInputError, match="shard 1"):
        publish_backfill(staged.gallery, "v1.backfill", [1, 2])
    with pytest.raises(UserInputError, match="no backfill shard 7"):
        publish_backfill(staged.gallery, "v1.backfill", [7])
    assert published_marker(staged.gallery) == BackfillMarker("v1", "v1.backfill", (0,))

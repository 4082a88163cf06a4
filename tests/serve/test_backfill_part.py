"""The part of a gallery a backfill in progress has re-extracted: searched exactly,
its items' stale rows left out of the live index, its shards read once."""

from __future__ import annotations

import numpy as np
import pytest

from tests.serve.helpers import DIM, Deployment, backfill_part, exact_top_k
from tests.store.helpers import unit_vectors

NEW = unit_vectors(600, DIM, seed=5)


@pytest.fixture
def backfilling(deployment) -> tuple[Deployment, list[str]]:
    """``v1`` live; backfill shard 1 of 3 written with new vectors; its item ids."""
    deployment.plan_backfill("v1", "v1.backfill")
    return deployment, deployment.write_backfill_shard("v1.backfill", 1, NEW)


def test_the_part_answers_exactly_from_the_new_vectors_of_its_items(backfilling):
    deployment, done = backfilling
    part, _ = backfill_part(deployment)
    assert (part.version, part.source, part.rows, part.fraction) == ("v1.backfill", "v1", 200, pytest.approx(1 / 3))
    assert part.describe()["source"] == "v1" and part.describe()["shards_done"] == [1]
    rows = np.array([int(i.rsplit("-", 1)[1]) for i in done])
    queries = unit_vectors(4, DIM, seed=9)
    scores, ids = part.search(queries, 5)
    want_scores, want_rows = exact_top_k(NEW[rows], queries, 5)
    assert ids.tolist() == [[done[int(r.rsplit("-", 1)[1])] for r in row] for row in want_rows]
    np.testing.assert_allclose(scores, want_scores, rtol=1e-5)


def test_asking_for_more_than_it_holds_pads_with_nothing(backfilling):
    part, _ = backfill_part(backfilling[0])
    scores, ids = part.search(unit_vectors(2, DIM, seed=9), 250)
    assert np.isfinite(scores[:, :200]).all() and np.isneginf(scores[:, 200:]).all()
    assert all(i is None for i in ids[:, 200:].ravel()) and None not in ids[:, :200]


def test_the_live_index_leaves_out_the_backfilled_items(backfilling):
    deployment, done = backfilling
    part, index = backfill_part(deployment)
    _, ids = index.search(unit_vectors(20, DIM, seed=9), 50, part.stale_rows)
    found = {i for row in ids.tolist() for i in row}
    assert len(found) > 50 and not found & set(done)


def test_a_finished_shard_is_read_once(backfilling):
    deployment, _ = backfilling
    first, _ = backfill_part(deployment)
    deployment.write_backfill_shard("v1.backfill", 0, NEW)
    second, _ = backfill_part(deployment, previous=first)
    assert second.shards[1] is first.shards[1] and sorted(second.shards) == [0, 1]
    assert second.rows == 400

"""Backfill progress, read from the store alone: what the DAG, ``gallery list`` and a
searching service report as the backfilled fraction."""

from __future__ import annotations

import pytest

from tests.serve.helpers import DIM, Deployment
from tests.store.helpers import unit_vectors
from upgradeflow.backfill.progress import BackfillProgress, backfill_progress


def progress(rows_done: int, rows: int, shards_done=(0,)) -> BackfillProgress:
    return BackfillProgress("b1", "worst-first", list(shards_done), 4, rows_done, rows, committed=False)


def test_the_fraction_counts_rows_not_shards():
    assert progress(rows_done=30, rows=120, shards_done=[0, 1]).fraction == 0.25


def test_an_empty_gallery_counts_as_backfilled():
    assert progress(rows_done=0, rows=0, shards_done=[]).fraction == 1.0


def test_the_report_carries_the_fraction_rounded_and_in_words():
    report = progress(rows_done=1, rows=3)
    assert report.to_dict()["fraction"] == 0.333333
    assert report.describe() == "backfilled 33.3% (1/4 shards, worst-first order)"


@pytest.fixture
def planned(tmp_path) -> Deployment:
    deployment = Deployment(tmp_path, rows=400, shard_rows=100)
    deployment.commit("v1", seed=1)
    deployment.plan_backfill("v1", "v1.backfill")
    return deployment


def test_progress_is_read_from_the_finished_shard_records(planned):
    assert backfill_progress(planned.gallery, "v1.backfill").shards_done == []
    new = unit_vectors(400, DIM, seed=5)
    for shard in (2, 0):
        planned.write_backfill_shard("v1.backfill", shard, new)
    found = backfill_progress(planned.gallery, "v1.backfill")
    assert (found.shards_done, found.shards, found.rows_done, found.rows) == ([0, 2], 4, 200, 400)
    assert (found.order, found.committed, found.fraction) == ("random", False, 0.5)


def test_records_the_caller_already_read_are_used_as_given(planned):
    planned.write_backfill_shard("v1.backfill", 1, unit_vectors(400, DIM, seed=5))
    records = planned.gallery.finished_shards("v1.backfill")
    assert backfill_progress(planned.gallery, "v1.backfill", {}).rows_done == 0
    assert backfill_progress(planned.gallery, "v1.backfill", records).rows_done == 100

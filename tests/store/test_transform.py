"""Streaming a committed shard through a function into a new version: the caller's
function decides the embeddings, the store keeps everything else, and a finished shard
is not done twice for the same producer."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from tests.store.helpers import read_version, write_embeddings
from upgradeflow.errors import UserInputError
from upgradeflow.store.gallery import Gallery
from upgradeflow.store.importer import import_tables
from upgradeflow.store.local import LocalStore
from upgradeflow.store.shard_format import embeddings_of, shard_schema
from upgradeflow.store.transform import transform_shard


def negated(batch: pa.RecordBatch) -> pa.RecordBatch:
    """Every embedding negated, in the shard schema (which a transform must return)."""
    vectors = -embeddings_of(batch)
    embedding = pa.FixedSizeListArray.from_arrays(pa.array(vectors.ravel()), vectors.shape[1])
    columns = {name: batch.column(name) for name in batch.schema.names} | {"embedding": embedding}
    schema = shard_schema(vectors.shape[1], list(columns))
    return pa.RecordBatch.from_arrays([columns[f.name] for f in schema], schema=schema)


@pytest.fixture
def gallery(tmp_path) -> Gallery:
    gallery = Gallery(LocalStore(tmp_path / "store"), "g")
    import_tables(gallery, write_embeddings(tmp_path / "g.parquet", 50), version="v1", shard_rows=20, progress=False)
    return gallery


def transform(gallery: Gallery, index: int, digest: str = "a" * 64, producer: str = "negate"):
    """Shard ``index`` of v1 into v2 in batches of 7 rows, by the transform ``digest`` names."""
    return transform_shard(gallery, "v1", "v2", index, negated, 16, {"kind": producer}, digest, batch_rows=7)


def test_each_row_is_transformed_in_small_batches_and_the_rest_kept(gallery):
    for index in range(3):
        record, worked = transform(gallery, index)
        assert worked and record.source_sha256 == gallery.manifest("v1")["shards"][index]["sha256"]
    gallery.commit("v2")
    before, after = read_version(gallery, "v1"), read_version(gallery, "v2")
    np.testing.assert_array_equal(embeddings_of(after), -embeddings_of(before))
    assert after.drop_columns(["embedding"]).equals(before.drop_columns(["embedding"]))
    assert gallery.manifest("v2")["producer"] == {"kind": "negate"}


def test_a_finished_shard_is_skipped_only_for_the_same_transform(gallery):
    first, _ = transform(gallery, 1)
    again, worked = transform(gallery, 1)
    assert not worked and again == first
    redone, worked = transform(gallery, 1, digest="b" * 64)
    assert worked and redone.producer_sha256 == "b" * 64
    with pytest.raises(UserInputError, match=r"already staged from v1 by \{'kind': 'negate'\}"):
        transform(gallery, 1, producer="other")


def test_a_shard_the_version_lacks_is_named(gallery):
    with pytest.raises(UserInputError, match=r"version v1: no shard 3 \(it has 3\)"):
        transform(gallery, 3)


def test_a_write_failing_part_way_leaves_no_reading_thread_behind(gallery):
    """The reading thread runs ahead of the write; when the write fails, the thread must
    stop, or it waits on its full queue for ever and the process never exits."""
    import threading

    from upgradeflow.store.prefetch import background

    calls = []

    def wrong_on_the_third_batch(batch: pa.RecordBatch) -> pa.RecordBatch:
        calls.append(1)
        out = negated(batch)
        return out.drop_columns(["model"]) if len(calls) == 3 else out  # the writer refuses this schema

    with pytest.raises(ValueError, match="schema") as raised:  # pyarrow's writer refuses the third batch
        transform_shard(gallery, "v1", "v2", 0, wrong_on_the_third_batch, 16, {"kind": "x"}, "b" * 64, batch_rows=2)
    assert raised.tb is not None  # the traceback, and with it the failed write's frames, is still held here
    both = threading.Barrier(2, timeout=10)  # meets only when both I/O threads are free again
    waits = [background.submit(both.wait) for _ in range(2)]
    assert sorted(wait.result(timeout=30) for wait in waits) == [0, 1]  # a stuck thread breaks the barrier

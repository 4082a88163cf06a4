"""Backfill shards: re-extracted from their sources by the new model, in the stored
order, published whole, skipped when finished, resumable after an interruption."""

from __future__ import annotations

import numpy as np
import pytest

from tests.backfill.helpers import SIZE, evolved_gallery, image_dataset, tiny_model
from tests.store.helpers import make_adapter, read_version
from upgradeflow.backfill.extraction import backfill_shard, embed_batch, model_digest
from upgradeflow.backfill.planning import ORDER_FILE, BackfillRequest, order_slice, plan_backfill
from upgradeflow.backfill.progress import backfill_progress
from upgradeflow.data.image_parquet import read_image_parquet
from upgradeflow.data.sources import SourceResolver, split_source
from upgradeflow.errors import UserInputError
from upgradeflow.store.gallery import Gallery
from upgradeflow.store.location import open_store
from upgradeflow.store.shard_format import embeddings_of


class FailingResolver(SourceResolver):
    """Stands in for a worker killed mid-shard: fails on its ``fail_at``-th batch."""

    def __init__(self, data_dir, fail_at: int):
        super().__init__(data_dir)
        self.calls, self.fail_at = 0, fail_at

    def images(self, sources):
        self.calls += 1
        if self.calls == self.fail_at:
            raise RuntimeError("worker lost")
        return super().images(sources)


@pytest.fixture
def planned(store_uri, tmp_path):
    gallery = Gallery(open_store(store_uri), "photos")
    dataset = image_dataset(tmp_path / "images.parquet")
    evolved = evolved_gallery(gallery, dataset, make_adapter(tmp_path / "a"))
    model = tiny_model(2)
    plan_backfill(gallery, evolved, "b1", BackfillRequest("new-model", model_digest(model), 16))
    return gallery, evolved, model, dataset, tmp_path


def test_backfill_matches_the_new_model_and_the_order(planned):
    gallery, evolved, model, dataset, tmp_path = planned
    resolver = SourceResolver(tmp_path)
    for index in range(4):
        record, worked = backfill_shard(gallery, "b1", index, model, resolver, batch_rows=7)
        assert worked and record.rows == 15
    assert not backfill_shard(gallery, "b1", 2, model, resolver)[1]  # finished: skipped
    progress = backfill_progress(gallery, "b1")
    assert (progress.fraction, progress.shards_done, progress.order) == (1.0, [0, 1, 2, 3], "worst-first")
    gallery.commit("b1")
    assert gallery.pointer().current == "b1" and gallery.pointer().previous == evolved

    table = read_version(gallery, "b1")
    expected_ids = [i for index in range(4) for i in order_slice(gallery, "b1", index).column("id").to_pylist()]
    assert table.column("id").to_pylist() == expected_ids  # shard N holds ranks [15N, 15N+15)
    data = read_image_parquet(dataset, image_size=SIZE, progress=False)
    row = {item: position for position, item in enumerate(data.ids)}
    images = data.images[[row[split_source(s)[1]] for s in table.column("source").to_pylist()]]
    np.testing.assert_allclose(embeddings_of(table), embed_batch(model, images), atol=1e-6)
    assert set(table.column("model").to_pylist()) == {"new-model"}
    assert table.column("identity").to_pylist() == [int(data.identities[row[i]]) for i in expected_ids]
    manifest = gallery.manifest("b1")
    assert manifest["producer"]["order"] == "worst-first" and manifest["parent"] == evolved


def test_interrupted_backfill_resumes_with_every_item_once(planned):
    gallery, _, model, _, tmp_path = planned
    backfill_shard(gallery, "b1", 0, model, SourceResolver(tmp_path))
    with pytest.raises(RuntimeError, match="worker lost"):
        backfill_shard(gallery, "b1", 1, model, FailingResolver(tmp_path, fail_at=2), batch_rows=5)
    progress = backfill_progress(gallery, "b1")
    assert (progress.shards_done, progress.rows_done, progress.fraction) == ([0], 15, 0.25)
    shard_keys = [k for k in gallery.store.list(gallery.version_key("b1", "shards")) if "shard-00001" in k]
    assert shard_keys == []  # nothing of the interrupted shard is visible

    resolver = SourceResolver(tmp_path)
    worked = [backfill_shard(gallery, "b1", index, model, resolver)[1] for index in range(4)]
    assert worked == [False, True, True, True]
    assert backfill_progress(gallery, "b1").fraction == 1.0
    gallery.commit("b1")  # verifies checksums and that no id appears twice
    ids = read_version(gallery, "b1").column("id").to_pylist()
    assert len(ids) == len(set(ids)) == 60


def test_refusals_are_one_line(planned):
    gallery, evolved, model, _, tmp_path = planned
    resolver = SourceResolver(tmp_path)
    with pytest.raises(UserInputError, match="no backfill shard 4 \\(it has 4\\)"):
        backfill_shard(gallery, "b1", 4, model, resolver)
    with pytest.raises(UserInputError, match=r"the model embeds 8-d, .* is a 16-d backfill"):
        backfill_shard(gallery, "b1", 0, tiny_model(2, dim=8), resolver)
    with pytest.raises(UserInputError, match="planned for model new-model"):
        backfill_shard(gallery, "b1", 0, tiny_model(3), resolver)
    with pytest.raises(UserInputError, match="no backfill planned"):
        backfill_shard(gallery, evolved, 0, model, resolver)
    gallery.store.write(gallery.version_key("b1", ORDER_FILE), b"not parquet")
    with pytest.raises(UserInputError, match=r"order\.parquet is corrupt"):
        backfill_shard(gallery, "b1", 0, model, resolver)

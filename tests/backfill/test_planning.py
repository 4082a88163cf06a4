"""Planning a backfill: the order is computed once, stored, and reused on resume."""

from __future__ import annotations

import numpy as np
import pyarrow.parquet as pq
import pytest

from tests.backfill.helpers import evolved_gallery, image_dataset, tiny_model
from tests.store.helpers import make_adapter, write_embeddings
from upgradeflow.backfill import planning
from upgradeflow.backfill.extraction import model_digest
from upgradeflow.backfill.ordering import order_digest
from upgradeflow.backfill.planning import ORDER_FILE, BackfillRequest, order_slice, plan_backfill, read_columns
from upgradeflow.backfill.residuals import adapter_residuals
from upgradeflow.discriminativeness import old_discriminativeness
from upgradeflow.errors import UserInputError
from upgradeflow.store.gallery import Gallery
from upgradeflow.store.importer import import_tables
from upgradeflow.store.location import open_store
from upgradeflow.store.shard_format import embeddings_of


@pytest.fixture
def setup(store_uri, tmp_path):
    gallery = Gallery(open_store(store_uri), "photos")
    evolved = evolved_gallery(gallery, image_dataset(tmp_path / "images.parquet"), make_adapter(tmp_path / "a"))
    model = tiny_model(2)
    request = BackfillRequest("new-model", model_digest(model), 16)
    return gallery, evolved, request


def order_table(gallery: Gallery, version: str):
    with gallery.store.local_copy(gallery.version_key(version, ORDER_FILE)) as path:
        return pq.read_table(path)


def test_worst_first_order_is_stored_once_and_reused_on_resume(setup, monkeypatch):
    gallery, evolved, request = setup
    plan = plan_backfill(gallery, evolved, "b1", request)
    assert (plan.parent, plan.shards) == (evolved, 4)  # as many shards as the source: 60 rows, 15 a shard
    stored = order_table(gallery, "b1")
    assert stored.column_names == ["id", "source", "identity", "rank"]
    assert stored.column("rank").to_pylist() == list(range(60))

    # The order is worst-first over the OLD features (the evolved version's parent).
    old = read_columns(gallery, "v1", ["id", "embedding", "identity"])
    weights = old_discriminativeness(embeddings_of(old), old.column("identity").to_numpy())
    position = {item: row for row, item in enumerate(old.column("id").to_pylist())}
    ranked = weights[[position[i] for i in stored.column("id").to_pylist()]]
    assert np.all(np.diff(ranked) >= 0)
    order = np.array([position[i] for i in stored.column("id").to_pylist()])
    assert plan.producer["order"] == "worst-first" and plan.producer["order_sha256"] == order_digest(order)
    assert order_slice(gallery, "b1", 1).column("id").to_pylist() == stored.column("id").to_pylist()[15:30]
    assert order_slice(gallery, "b1", 3).num_rows == 15

    def recompute(*args, **kwargs):
        raise AssertionError("a resumed backfill must not recompute its order")

    monkeypatch.setattr(planning, "compute_order", recompute)
    assert plan_backfill(gallery, evolved, "b1", request, resume_policy="worst-first") == plan
    assert plan_backfill(gallery, evolved, "b1", request) == plan
    assert order_table(gallery, "b1").equals(stored)


def test_resuming_with_another_order_or_model_is_refused(setup):
    gallery, evolved, request = setup
    plan_backfill(gallery, evolved, "b1", request)
    with pytest.raises(UserInputError, match="already planned in worst-first order") as error:
        plan_backfill(gallery, evolved, "b1", request, resume_policy="random")
    assert "\n" not in str(error.value)
    other = BackfillRequest("other", "0" * 64, 16)
    with pytest.raises(UserInputError, match="planned for model new-model"):
        plan_backfill(gallery, evolved, "b1", other)
    with pytest.raises(UserInputError, match="unknown backfill ordering 'best-first'"):
        plan_backfill(gallery, evolved, "b2", BackfillRequest("m", "1" * 64, 16, policy="best-first"))

    random_plan = plan_backfill(gallery, evolved, "b3", BackfillRequest("m", "1" * 64, 16, policy="random", seed=3))
    reseeded = BackfillRequest("m", "1" * 64, 16, policy="random", seed=4)
    with pytest.raises(UserInputError, match="already planned in random order"):
        plan_backfill(gallery, evolved, "b3", reseeded, resume_policy="random")
    assert random_plan.producer["order_seed"] == 3


def test_residual_first_orders_by_how_far_the_adapter_moved_each_feature(setup):
    gallery, evolved, request = setup
    plan = plan_backfill(gallery, evolved, "r1", BackfillRequest("m", request.model_sha256, 16, "residual-first"))
    old, new = read_columns(gallery, "v1", ["id", "embedding"]), read_columns(gallery, evolved, ["embedding"])
    residuals = adapter_residuals(embeddings_of(old), embeddings_of(new))
    position = {item: row for row, item in enumerate(old.column("id").to_pylist())}
    ranked = residuals[[position[i] for i in order_table(gallery, "r1").column("id").to_pylist()]]
    assert np.all(np.diff(ranked) <= 1e-12) and plan.producer["order"] == "residual-first"
    with pytest.raises(UserInputError, match="residual-first ordering needs an evolved version"):
        plan_backfill(gallery, "v1", "r2", BackfillRequest("m", request.model_sha256, 16, "residual-first"))


def test_bad_requests_are_one_line_errors(setup, tmp_path):
    gallery, evolved, request = setup
    with pytest.raises(UserInputError, match=r"embeds 8-d, .* holds 16-d"):
        plan_backfill(gallery, evolved, "b1", BackfillRequest("small", request.model_sha256, 8))
    plan_backfill(gallery, evolved, "b1", request)
    with pytest.raises(UserInputError, match="no backfill shard 4 \\(it has 4\\)"):
        order_slice(gallery, "b1", 4)

    bare = Gallery(gallery.store, "bare")
    table = write_embeddings(tmp_path / "bare.parquet", 20, dim=16)
    import pyarrow.parquet as parquet

    parquet.write_table(parquet.read_table(table).drop_columns(["source"]), table)
    import_tables(bare, table, version="v1", progress=False)
    with pytest.raises(UserInputError, match="no 'source' column"):
        plan_backfill(bare, "v1", "b1", request)

    unlabelled = Gallery(gallery.store, "unlabelled")
    import_tables(unlabelled, write_embeddings(tmp_path / "u.parquet", 20, dim=16), version="v1", progress=False)
    with pytest.raises(UserInputError, match="no 'identity' column, which worst-first ordering needs"):
        plan_backfill(unlabelled, "v1", "b1", request)
    assert plan_backfill(unlabelled, "v1", "b1", BackfillRequest("m", "2" * 64, 16, "random")).shards == 1

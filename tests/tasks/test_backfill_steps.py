"""The backfill steps on a local store: a lane interrupted by an injected fault and
retried finishes with every item exactly once, then the backfill is indexed and swapped
in, and a re-run changes nothing."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tasks import backfill_shard, build_final_index, commit_evolved, plan_backfill, swap_backfilled
from tests.backfill.helpers import evolved_gallery, image_dataset, tiny_model
from tests.store.helpers import make_adapter, read_version
from upgradeflow.backfill.extraction import embed_batch, model_digest
from upgradeflow.backfill.marker import BackfillMarker, published_marker
from upgradeflow.backfill.planning import BackfillRequest
from upgradeflow.backfill.planning import plan_backfill as plan
from upgradeflow.backfill.progress import backfill_progress
from upgradeflow.data.sources import SourceResolver
from upgradeflow.fault_injection import InjectedFault
from upgradeflow.index.sharded import IndexCatalog
from upgradeflow.models.adapter import adapter_digest
from upgradeflow.models.checkpoint import save_model
from upgradeflow.store.gallery import Gallery
from upgradeflow.store.location import open_store
from upgradeflow.store.object_store import join
from upgradeflow.store.shard_format import embeddings_of
from upgradeflow.upgrade.run_files import run_prefix, upload, write_json

KEY = "0123456789abcdef"


@pytest.fixture
def deployment(tmp_path):
    """An evolved gallery live with its index, and a finished training run in the store."""
    store_path = tmp_path / "store"
    store = open_store(str(store_path))
    gallery = Gallery(store, "g")
    adapter = make_adapter(tmp_path / "adapter")
    evolved = evolved_gallery(gallery, image_dataset(tmp_path / "images.parquet"), adapter)
    IndexCatalog(store, "g").swap(IndexCatalog(store, "g").build(gallery, evolved, progress=False)[0])
    model = tiny_model(2)
    checkpoint = save_model(model, tmp_path / "run" / "model.pt")
    upload(store, run_prefix(KEY), [checkpoint, checkpoint.with_suffix(".json")])
    write_json(
        store,
        join(run_prefix(KEY), "train.json"),
        {"files": ["model.json", "model.pt"], "adapter_sha256": adapter_digest(adapter)},
    )
    target = f"{evolved}.backfill-{KEY[:8]}"
    plan(gallery, evolved, target, BackfillRequest("models:/m/2", model_digest(model), 16))
    return gallery, evolved, target, model, store_path, tmp_path


def step(module, capsys, *args: str) -> dict:
    assert module.main([*args]) == 0
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_interrupted_lane_is_retried_and_the_backfill_swapped_in(deployment, capsys, monkeypatch):
    gallery, evolved, target, model, store_path, tmp_path = deployment
    common = ["--store", str(store_path), "--run-key", KEY, "--gallery", "g", "--no-progress"]
    lane = [*common, "--data-dir", str(tmp_path)]
    monkeypatch.setenv("UPGRADEFLOW_FAIL_ONCE", f"backfill_shard:{tmp_path / 'fault'}")
    with pytest.raises(InjectedFault):
        backfill_shard.main([*lane, "--shards", "0-1"])
    assert backfill_progress(gallery, target).fraction == 0.25  # shard 0 recorded before the fault
    assert published_marker(gallery) == BackfillMarker(evolved, target, (0,))  # and published: searches merge it
    retried = step(backfill_shard, capsys, *lane, "--shards", "0-1")
    assert (retried["written"], retried["fraction"]) == ([1], 0.5)
    assert step(backfill_shard, capsys, *lane, "--shards", "2-3")["fraction"] == 1.0
    assert published_marker(gallery).shards == (0, 1, 2, 3)
    assert gallery.pointer().current == evolved  # the evolved gallery serves until the swap

    index = ["--index", "g", "--index-kind", "flat"]
    assert step(build_final_index, capsys, *common, *index)["index_version"] == f"{target}.flat"
    swapped = step(swap_backfilled, capsys, *common, *index)
    assert swapped == {"gallery_version": target, "index_version": f"{target}.flat", "changed": True}
    table = read_version(gallery, target)
    ids = table.column("id").to_pylist()
    assert len(ids) == len(set(ids)) == 60
    images = SourceResolver(tmp_path).images(table.column("source").to_pylist())
    np.testing.assert_allclose(embeddings_of(table), embed_batch(model, images), atol=1e-6)

    # A re-run finds everything done and leaves the backfill live.
    again = ["--model-name", "m", "--tracking-uri", f"sqlite:///{tmp_path}/mlflow.db"]
    assert step(plan_backfill, capsys, *common, *again) == []
    assert step(backfill_shard, capsys, *lane, "--shards", "0-3")["done"]
    assert not step(commit_evolved, capsys, *common, *index)["changed"]
    assert not step(swap_backfilled, capsys, *common, *index)["changed"]
    assert gallery.pointer().current == target


def test_plan_step_refuses_another_order_and_an_unregistered_run(deployment, capsys):
    _, _, _, _, store_path, tmp_path = deployment
    common = ["--store", str(store_path), "--run-key", KEY, "--gallery", "g", "--no-progress"]
    registry = ["--model-name", "m", "--tracking-uri", f"sqlite:///{tmp_path}/mlflow.db"]
    assert plan_backfill.main([*common, *registry, "--backfill-order", "best-first"]) == 2
    assert "unknown backfill ordering 'best-first'" in capsys.readouterr().err
    assert plan_backfill.main([*common, *registry]) == 2
    assert "no registered version of m" in capsys.readouterr().err

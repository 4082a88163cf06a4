"""The rollback DAG's steps against a real MLflow server and store (local and S3): the
rollback moves each pointer back past the upgrade's versions in one compare-and-swap
from the version observed live, never further, however many run at once; it refuses
when a pointer moved since ``plan_rollback`` observed it, or when another run holds the
gallery's lease."""

from __future__ import annotations

import multiprocessing
import uuid

import pytest

from tasks import plan_rollback, rollback
from tests.store.helpers import unit_vectors, write_embeddings
from tests.store.workers import step_after_barrier
from tests.upgrade.helpers import promote_version_2
from upgradeflow.index.sharded import IndexCatalog
from upgradeflow.store.gallery import Gallery
from upgradeflow.store.importer import import_tables
from upgradeflow.store.lease import GalleryLease
from upgradeflow.store.location import open_store

SPAWN = multiprocessing.get_context("spawn")


@pytest.fixture
def promoted(tmp_path, store_uri, mlflow_server):
    """Gallery and index went P -> E (evolved) -> B (backfilled); the champion (version
    2) was promoted by that upgrade over version 1."""
    from mlflow import MlflowClient

    store = open_store(store_uri)
    gallery, catalog = Gallery(store, "g"), IndexCatalog(store, "g")
    for seed, version in enumerate(["older", "P", "E", "B"]):
        path = write_embeddings(tmp_path / f"{version}.parquet", 40, vectors=unit_vectors(40, 16, seed))
        import_tables(gallery, path, version=version, shard_rows=20, progress=False)
        catalog.build(gallery, version, progress=False)
        catalog.swap(f"{version}.flat")
    model = f"m-{uuid.uuid4().hex[:8]}"
    client = MlflowClient(mlflow_server)
    client.create_registered_model(model)
    for _ in range(2):
        client.create_model_version(model, source="s3://models/unused")  # never loaded
    promote_version_2(client, model)
    common = ["--model-name", model, "--store", store_uri, "--tracking-uri", mlflow_server]
    return gallery, catalog, client, model, common


def _histories(gallery, catalog):
    return gallery.pointer().history, catalog.pointer().history


@pytest.mark.parametrize("observed", [True, False], ids=["expecting", "unexpecting"])
def test_eight_rollbacks_at_once_go_back_past_the_upgrade_once(promoted, observed, capsys):
    gallery, catalog, client, model, common = promoted
    assert plan_rollback.main(common) == 0
    assert '"gallery_version": "B"' in capsys.readouterr().out
    expect = ["--expect-gallery", "B", "--expect-index", "B.flat"] if observed else []
    barrier, results = SPAWN.Barrier(8), SPAWN.Queue()
    workers = [
        SPAWN.Process(target=step_after_barrier, args=("tasks.rollback", [*common, *expect], barrier, results))
        for _ in range(8)
    ]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=300) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
    # Each lost a pointer race (3) or, started after the winner moved the alias back,
    # found nothing left to roll back (2); at least one did the work.
    failures = {2: "error: models:/", 3: "conflict: "}
    assert [status for _, status, _ in outcomes].count(0) >= 1, outcomes
    for _, status, message in outcomes:
        assert status == 0 or (status in failures and failures[status] in message and "\n" not in message), message
    assert _histories(gallery, catalog) == (["older", "P"], ["older.flat", "P.flat"])  # never further back
    assert client.get_model_version_by_alias(model, "champion").version == "1"


def test_rollback_refuses_a_pointer_moved_since_it_was_observed(promoted, capsys):
    gallery, catalog, client, model, common = promoted
    catalog.rollback("B.flat")  # someone stepped the index back meanwhile
    before = _histories(gallery, catalog)
    status = rollback.main([*common, "--expect-gallery", "B", "--expect-index", "B.flat"])
    assert status == 3 and "live version is E.flat, not B.flat" in capsys.readouterr().err
    assert _histories(gallery, catalog) == before
    assert client.get_model_version_by_alias(model, "champion").version == "2"


def test_rollback_refuses_while_another_run_holds_the_gallerys_lease(promoted, capsys):
    gallery, catalog, client, model, common = promoted
    GalleryLease(gallery).take("model_upgrade/running", 3600)
    before = _histories(gallery, catalog)
    expect = ["--expect-gallery", "B", "--expect-index", "B.flat"]
    status = rollback.main([*common, *expect, "--lease-owner", "rollback/r"])
    assert status == 3 and "held by model_upgrade/running" in capsys.readouterr().err
    assert _histories(gallery, catalog) == before
    assert client.get_model_version_by_alias(model, "champion").version == "2"

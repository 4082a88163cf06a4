"""Every pointer move is conditional on the version its caller expects to replace:
``index swap --expect`` and ``gallery``/``index rollback --expect`` refuse in one line
(exit 3) when someone else moved the pointer, on a local directory and on S3."""

from __future__ import annotations

import multiprocessing

import pytest

from tests.cli.test_gallery import one_line_error, run
from tests.store.helpers import unit_vectors, write_embeddings
from tests.store.workers import rollback_after_barrier
from upgradeflow.index.sharded import IndexCatalog
from upgradeflow.store.gallery import Gallery
from upgradeflow.store.importer import import_tables
from upgradeflow.store.location import open_store

SPAWN = multiprocessing.get_context("spawn")
VERSIONS = ["v1", "v2", "v3", "v4"]


@pytest.fixture
def live(tmp_path, store_uri):
    """A gallery whose versions v1..v4 went live in turn, and their indexes likewise."""
    store = open_store(store_uri)
    gallery, catalog = Gallery(store, "g"), IndexCatalog(store, "g")
    for seed, version in enumerate(VERSIONS):
        path = write_embeddings(tmp_path / f"{version}.parquet", 40, vectors=unit_vectors(40, 16, seed))
        import_tables(gallery, path, version=version, shard_rows=20, progress=False)
        catalog.build(gallery, version, progress=False)
        catalog.swap(f"{version}.flat")
    return store_uri, gallery, catalog


def test_swap_refuses_when_the_expected_version_is_not_live_even_if_the_new_one_is(capsys, live):
    store_uri, _, catalog = live
    before = catalog.pointer()
    status, _, err = run(capsys, "index", "swap", "g", "v4.flat", "--expect", "v3.flat", "--store", store_uri)
    assert "live version is v4.flat, not v3.flat" in one_line_error(err, status, 3)
    assert catalog.pointer() == before


def test_swap_expecting_the_live_version_itself_changes_nothing(capsys, live):
    store_uri, _, catalog = live
    before = catalog.pointer()
    status, out, _ = run(capsys, "index", "swap", "g", "v4.flat", "--expect", "v4.flat", "--store", store_uri)
    assert status == 0 and "live v4.flat (previous v3.flat)" in out
    assert catalog.pointer() == before


@pytest.mark.parametrize("kind", ["gallery", "index"])
def test_rollback_refuses_when_the_expected_version_is_not_live(capsys, live, kind):
    store_uri, gallery, catalog = live
    series, suffix = {"gallery": (gallery, ""), "index": (catalog, ".flat")}[kind]
    before = series.pointer()
    status, _, err = run(capsys, kind, "rollback", "g", "--expect", f"v3{suffix}", "--store", store_uri)
    assert f"live version is v4{suffix}, not v3{suffix}" in one_line_error(err, status, 3)
    assert series.pointer() == before
    status, out, _ = run(capsys, kind, "rollback", "g", "--expect", f"v4{suffix}", "--store", store_uri)
    assert status == 0 and f"live v3{suffix} (previous v2{suffix})" in out


@pytest.mark.parametrize("kind", ["gallery", "index"])
def test_eight_rollbacks_expecting_one_version_step_back_exactly_once(live, kind):
    store_uri, gallery, catalog = live
    series, suffix = {"gallery": (gallery, ""), "index": (catalog, ".flat")}[kind]
    barrier, results = SPAWN.Barrier(8), SPAWN.Queue()
    command = [kind, "rollback", "g", "--expect", f"v4{suffix}", "--store", store_uri]
    workers = [SPAWN.Process(target=rollback_after_barrier, args=(command, barrier, results)) for _ in range(8)]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
    assert sorted(status for status, _ in outcomes) == [0] + [3] * 7, outcomes
    for status, message in outcomes:
        if status:
            assert message.startswith("upgradeflow: conflict:") and "\n" not in message
    assert series.pointer().history == [f"{v}{suffix}" for v in VERSIONS[:3]]

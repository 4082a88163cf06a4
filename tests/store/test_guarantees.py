"""The storage guarantees, each against a local directory and the real S3 server.

Many processes race on one pointer; processes are killed in the middle of work; readers
run during commits; rollback and gc are checked against what was live before.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.store.helpers import make_adapter, read_version, unit_vectors, write_embeddings
from tests.store.workers import commit_after_barrier, read_live_versions, swap_after_barrier
from upgradeflow.index.sharded import IndexCatalog, ShardedIndex
from upgradeflow.store.gallery import Gallery
from upgradeflow.store.importer import import_tables
from upgradeflow.store.location import open_store
from upgradeflow.upgrade.evolve import evolve_shard

SPAWN = multiprocessing.get_context("spawn")


def _gallery(store_uri: str) -> Gallery:
    return Gallery(open_store(store_uri), "photos")


def _evolve_all(gallery: Gallery, adapter: Path, source: str, target: str) -> None:
    for index in range(len(gallery.manifest(source)["shards"])):
        evolve_shard(gallery, adapter, source, index, target_version=target)


def test_eight_concurrent_committers_one_winner(store_uri, tmp_path):
    gallery = _gallery(store_uri)
    import_tables(gallery, write_embeddings(tmp_path / "g.parquet", 40), version="v0", shard_rows=20, progress=False)
    candidates = [f"candidate-{i}" for i in range(8)]
    for i, version in enumerate(candidates):
        _evolve_all(gallery, make_adapter(tmp_path / f"a{i}", seed=i), "v0", version)
    barrier, results = SPAWN.Barrier(8), SPAWN.Queue()
    workers = [SPAWN.Process(target=commit_after_barrier, args=(store_uri, v, barrier, results)) for v in candidates]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
    winners = [version for version, status, _ in outcomes if status == 0]
    losers = [(status, message) for _, status, message in outcomes if status != 0]
    assert len(winners) == 1, outcomes
    assert len(losers) == 7
    for status, message in losers:
        assert status == 3
        assert message.startswith("upgradeflow: conflict:") and "\n" not in message
    pointer = gallery.pointer()
    assert (pointer.current, pointer.history) == (winners[0], ["v0", winners[0]])


def test_eight_swaps_against_one_token_one_winner(store_uri):
    from upgradeflow.store.pointer import advance, read_pointer

    store = open_store(store_uri)
    advance(store, "CURRENT", "v0", expected_current=None)
    barrier, results = SPAWN.Barrier(8), SPAWN.Queue()
    names = [f"v{i}" for i in range(1, 9)]
    workers = [SPAWN.Process(target=swap_after_barrier, args=(store_uri, n, barrier, results)) for n in names]
    for worker in workers:
        worker.start()
    outcomes = dict(results.get(timeout=120) for _ in workers)
    for worker in workers:
        worker.join(timeout=30)
    winners = [name for name, outcome in outcomes.items() if outcome == "won"]
    assert len(winners) == 1, outcomes
    assert all("changed since it was read" in o for n, o in outcomes.items() if n not in winners)
    assert read_pointer(store, "CURRENT")[0].history == ["v0", winners[0]]


def _run_killed(command: list[str], delay: float, env: dict, after: str) -> str | None:
    """Run a CLI command, SIGKILL it ``delay`` s after ``after`` shows on its stderr (so
    start-up time, which varies with the machine, does not decide where the kill lands);
    its stderr if it was still running."""
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seen: list[str] = []
    reader = threading.Thread(target=lambda: seen.extend(iter(lambda: process.stderr.read(1), "")), daemon=True)
    reader.start()
    deadline = time.monotonic() + 120
    while after not in "".join(seen) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(delay)
    alive = process.poll() is None
    if alive:
        process.send_signal(signal.SIGKILL)
    process.wait()
    reader.join(timeout=10)
    return "".join(seen) if alive else None


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "upgradeflow.cli", *args]


@pytest.mark.slow
def test_killed_mid_shard_or_mid_commit_leaves_previous_live(store_uri, tmp_path):
    gallery = _gallery(store_uri)
    rows = 150_000
    import_tables(
        gallery, write_embeddings(tmp_path / "g.parquet", rows, dim=64), version="v1", shard_rows=50_000, progress=False
    )
    original = read_version(gallery, "v1")
    adapter = make_adapter(tmp_path / "a", in_dim=64, out_dim=64)
    env = {**os.environ, "UPGRADEFLOW_THREADS": "1"}
    store = ["--store", store_uri]

    killed_mid_shard = 0
    for delay in (0.0, 0.05, 0.2, 0.5):
        evolve = _cli("gallery", "evolve", "photos", *store, "--adapter", str(adapter), "--shard", "0", "--to", "v2")
        stderr = _run_killed([*evolve, "--batch-rows", "4096"], delay, env, after="shard 0:")
        # Killed after the shard's work began and before it finished:
        if stderr is not None and "shard 0:" in stderr and gallery.finished_shard("v2", 0) is None:
            killed_mid_shard += 1
            # A shard is published whole, then its record: a kill in between may leave the
            # complete file without a record (still unfinished), never a partial file.
            key = f"{gallery.prefix}/versions/v2/shards/shard-00000.parquet"
            if gallery.store.exists(key):
                assert pq.read_table(pa.BufferReader(gallery.store.read(key))).num_rows == 50_000
        assert gallery.pointer().current == "v1"
        assert read_version(gallery, "v1").equals(original)
    assert killed_mid_shard >= 1, "no kill landed while a shard was being written"

    for index in range(3):
        evolve_shard(gallery, adapter, "v1", index, target_version="v2")
    killed_mid_commit = 0
    for delay in np.arange(0.0, 2.0, 0.05):
        stderr = _run_killed(_cli("gallery", "commit", "photos", "v2", *store), delay, env, after="verify v2")
        if stderr is not None and "verify v2" in stderr:  # killed after the commit's work began
            killed_mid_commit += gallery.pointer().current == "v1"
        live = gallery.pointer().current
        assert live in {"v1", "v2"}
        assert read_version(gallery, live).num_rows == rows
        if live == "v2":
            break
    assert killed_mid_commit >= 1, "no kill landed before the commit finished"
    gallery.commit("v2")
    assert (gallery.pointer().current, gallery.pointer().previous) == ("v2", "v1")


def test_readers_see_one_whole_version_during_commits(store_uri, tmp_path):
    gallery = _gallery(store_uri)
    import_tables(gallery, write_embeddings(tmp_path / "g.parquet", 3000), version="v0", shard_rows=500, progress=False)
    chain = ["v0"]
    for i in range(1, 5):
        _evolve_all(gallery, make_adapter(tmp_path / f"a{i}", seed=i), chain[-1], f"v{i}")
        gallery.seal(f"v{i}")  # sealed, not live: the next version can build on it
        chain.append(f"v{i}")
    models = {v: f"adapter:{gallery.plan(v).producer['sha256'][:12]}" for v in chain[1:]} | {"v0": "old"}

    stop, results = SPAWN.Event(), SPAWN.Queue()
    reader = SPAWN.Process(target=read_live_versions, args=(str(store_uri), stop, results))
    reader.start()
    first = results.get(timeout=120)  # the reader is running before the first commit
    for version in chain[1:]:
        gallery.commit(version)
        time.sleep(0.5)
    stop.set()
    reads = [first]
    while reader.is_alive() or not results.empty():
        try:
            reads.append(results.get(timeout=1))
        except Exception:
            reader.join(timeout=1)
    reader.join()
    assert reader.exitcode == 0
    for version, seen_models, count, distinct in reads:
        assert seen_models == [models[version]], (version, seen_models)
        assert count == distinct == 3000
    assert len({version for version, *_ in reads}) >= 2, "the reader never overlapped a commit"


def test_index_rollback_restores_previous_results_exactly(store_uri, tmp_path):
    gallery = _gallery(store_uri)
    import_tables(gallery, write_embeddings(tmp_path / "g.parquet", 2000), version="v1", shard_rows=700, progress=False)
    catalog = IndexCatalog(gallery.store, "photos")
    queries = unit_vectors(50, 16, seed=9)
    first, _ = catalog.build(gallery, "v1", progress=False)
    catalog.swap(first)
    before = ShardedIndex.load(catalog).search(queries, 10)

    _evolve_all(gallery, make_adapter(tmp_path / "a"), "v1", "v2")
    gallery.commit("v2")
    second, _ = catalog.build(gallery, "v2", progress=False)
    catalog.swap(second)
    after = ShardedIndex.load(catalog).search(queries, 10)
    assert not np.array_equal(after[1], before[1])

    assert catalog.rollback().current == first
    restored = ShardedIndex.load(catalog).search(queries, 10)
    np.testing.assert_array_equal(restored[0], before[0])
    np.testing.assert_array_equal(restored[1], before[1])
    assert gallery.rollback().current == "v1"
    assert pq.read_table(tmp_path / "g.parquet").column("id").equals(read_version(gallery, "v1").column("id"))

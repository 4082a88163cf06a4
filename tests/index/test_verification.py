"""Index files are checked against the manifest's checksums before they go live or are
searched: a corrupt index is refused in one line and the live pointer stays where it was."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.cli.test_gallery import one_line_error, run
from tests.store.helpers import unit_vectors, write_embeddings
from upgradeflow.errors import UserInputError
from upgradeflow.index.sharded import IndexCatalog, ShardedIndex
from upgradeflow.serve.live import LiveView
from upgradeflow.store.gallery import Gallery
from upgradeflow.store.importer import import_tables
from upgradeflow.store.location import open_store

DIM = 16
SHARD = "indexes/g/versions/v2.flat/shards/shard-00001"


@pytest.fixture
def built(tmp_path, store_uri):
    """A store whose index ``v1.flat`` is live and ``v2.flat`` is built, not yet swapped."""
    store = open_store(store_uri)
    gallery, catalog = Gallery(store, "g"), IndexCatalog(store, "g")
    for version, seed in [("v1", 1), ("v2", 2)]:
        path = write_embeddings(tmp_path / f"{version}.parquet", 600, vectors=unit_vectors(600, DIM, seed))
        import_tables(gallery, path, version=version, shard_rows=200, progress=False)
        catalog.build(gallery, version, progress=False)
    catalog.swap("v1.flat")
    return store_uri, store, catalog


def flip_last_byte(store, key: str) -> None:
    data = bytearray(store.read(key))
    data[-1] ^= 0xFF
    store.write(key, bytes(data))


def reverse_ids(store, key: str, scratch) -> None:
    """Rewrite an ids file as a valid Parquet table holding the same ids in reverse order."""
    local = scratch / "ids.parquet"
    local.write_bytes(store.read(key))
    ids = pq.read_table(local).column("id").to_pylist()
    pq.write_table(pa.table({"id": ids[::-1]}), local)
    store.write(key, local.read_bytes())


@pytest.mark.parametrize("suffix", [".faiss", ".ids.parquet"])
def test_swap_refuses_a_corrupt_index_and_the_live_one_stays(capsys, built, suffix):
    store_uri, store, catalog = built
    flip_last_byte(store, SHARD + suffix)
    status, _, err = run(capsys, "index", "swap", "g", "v2.flat", "--store", store_uri)
    line = one_line_error(err, status)
    assert "v2.flat" in line and "shard-00001" in line and "corrupt" in line
    assert catalog.pointer().current == "v1.flat"


def test_swap_refuses_an_index_with_a_missing_file(capsys, built):
    store_uri, store, catalog = built
    store.delete([SHARD + ".ids.parquet"])
    status, _, err = run(capsys, "index", "swap", "g", "v2.flat", "--store", store_uri)
    assert "shard-00001.ids.parquet" in one_line_error(err, status) and "missing" in err
    assert catalog.pointer().current == "v1.flat"


def test_reordered_ids_are_refused_not_served(capsys, built, tmp_path):
    """A valid ids file with the ids in another order would map hits to the wrong items."""
    store_uri, store, catalog = built
    reverse_ids(store, "indexes/g/versions/v1.flat/shards/shard-00000.ids.parquet", tmp_path)
    with pytest.raises(UserInputError, match=r"v1\.flat.*shard-00000\.ids\.parquet.*corrupt"):
        ShardedIndex.load(catalog)
    queries = write_embeddings(tmp_path / "q.parquet", 2, vectors=unit_vectors(2, DIM, 5), prefix="q")
    status, out, err = run(capsys, "index", "search", "g", "--queries", str(queries), "--store", store_uri)
    assert out == "" and "shard-00000.ids.parquet" in one_line_error(err, status)


def test_a_flipped_byte_in_an_ids_file_is_one_line_not_a_traceback(capsys, built, tmp_path):
    store_uri, store, _ = built
    flip_last_byte(store, "indexes/g/versions/v1.flat/shards/shard-00002.ids.parquet")
    queries = write_embeddings(tmp_path / "q.parquet", 2, vectors=unit_vectors(2, DIM, 5), prefix="q")
    status, _, err = run(capsys, "index", "search", "g", "--queries", str(queries), "--store", store_uri)
    assert "shard-00002.ids.parquet" in one_line_error(err, status) and "corrupt" in err


def test_a_new_replica_refuses_reordered_ids_in_one_line(built, tmp_path):
    """What ``serve`` loads goes through the same check as ``index swap``."""
    _, store, _ = built
    reverse_ids(store, "indexes/g/versions/v1.flat/shards/shard-00000.ids.parquet", tmp_path)
    live = LiveView(store, "g", "g", poll_seconds=0.05, retry_seconds=60)
    assert live.refresh() is False and live.snapshot is None
    error = live.status()["last_error"]["message"]
    assert "shard-00000.ids.parquet" in error and "corrupt" in error and "\n" not in error


def test_a_verified_swap_serves_the_right_items(built):
    _, _, catalog = built
    catalog.swap("v2.flat")
    vectors = unit_vectors(600, DIM, 2)
    _, ids = ShardedIndex.load(catalog).search(vectors[[7, 450]], 1)
    assert ids[:, 0].tolist() == ["item-7", "item-450"]
    assert catalog.pointer().history == ["v1.flat", "v2.flat"]

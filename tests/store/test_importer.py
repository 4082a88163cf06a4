"""Bad input to ``gallery import`` and ``index search``: one line, exit 2, nothing staged left behind."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.cli.test_main import main_user_error
from tests.store.helpers import corrupt_pages, unit_vectors, write_embeddings
from upgradeflow.errors import UserInputError
from upgradeflow.store.gallery import Gallery
from upgradeflow.store.importer import import_tables
from upgradeflow.store.location import open_store


def import_error(capsys, store: str, source) -> str:
    return main_user_error(capsys, "gallery", "import", "g", "--store", store, "--from", str(source), "--no-progress",
                          "--shard-rows", "10")  # fmt: skip


def search_error(capsys, store: str, queries) -> str:
    return main_user_error(capsys, "index", "search", "ix", "--store", store, "--queries", str(queries))


def assert_nothing_staged(store: str) -> None:
    assert Gallery(open_store(store), "g").version_names() == []


@pytest.fixture
def store(tmp_path) -> str:
    return str(tmp_path / "store")


def test_corrupt_page_fails_import_in_one_line_and_discards_the_staged_version(capsys, tmp_path, store):
    """The good file is written into shards first; the corrupt one fails mid-import."""
    source = tmp_path / "in"
    source.mkdir()
    write_embeddings(source / "a.parquet", 30, seed=1, prefix="a")
    corrupt_pages(write_embeddings(source / "b.parquet", 30, seed=2, prefix="b"))
    line = import_error(capsys, store, source)
    assert "b.parquet: not a readable Parquet file" in line and line.isprintable()
    assert_nothing_staged(store)


def test_corrupt_queries_are_one_line(capsys, tmp_path, store):
    corrupt = corrupt_pages(write_embeddings(tmp_path / "corrupt.parquet", 5))
    line = search_error(capsys, store, corrupt)
    assert "corrupt.parquet: not a readable Parquet file" in line and line.isprintable()


def write_table(path, ids: pa.Array, embeddings: pa.Array):
    pq.write_table(pa.table({"id": ids, "embedding": embeddings, "model": ["old"] * len(ids)}), path)
    return path


def test_integer_ids_are_refused_naming_the_column(capsys, tmp_path, store):
    vectors = unit_vectors(5, 16, 0)
    source = write_table(
        tmp_path / "int-ids.parquet",
        pa.array(range(5), pa.int64()),
        pa.FixedSizeListArray.from_arrays(pa.array(vectors.reshape(-1)), 16),
    )
    assert "int-ids.parquet: column 'id' must be string, got int64" in import_error(capsys, store, source)
    assert_nothing_staged(store)
    assert "column 'id' must be string, got int64" in search_error(capsys, store, source)


def test_zero_dimensional_embeddings_are_refused(capsys, tmp_path, store):
    source = write_table(
        tmp_path / "zero.parquet", pa.array([f"i-{i}" for i in range(5)]), pa.array([[]] * 5, pa.list_(pa.float32()))
    )
    assert "zero.parquet: embedding has 0 dimensions" in import_error(capsys, store, source)
    assert_nothing_staged(store)
    assert "zero.parquet: embedding has 0 dimensions" in search_error(capsys, store, source)


def test_rerunning_an_import_killed_after_it_sealed_finishes_it(tmp_path, store):
    """A kill between sealing and moving the pointer, or after the move and before the
    process exits, leaves a sealed version: the same command run again completes it."""
    gallery = Gallery(open_store(store), "g")
    source = write_embeddings(tmp_path / "in.parquet", 30)
    import_tables(gallery, source, version="v1", shard_rows=10, commit=False, progress=False)
    assert gallery.pointer().current is None  # sealed, the pointer never moved
    assert import_tables(gallery, source, version="v1", shard_rows=10, progress=False) == "v1"
    assert gallery.pointer().history == ["v1"]
    assert import_tables(gallery, source, version="v1", shard_rows=10, progress=False) == "v1"
    assert gallery.pointer().history == ["v1"]  # finished already: nothing moves
    other = write_embeddings(tmp_path / "other.parquet", 30, seed=1)
    with pytest.raises(UserInputError, match="already committed"):
        import_tables(gallery, other, version="v1", shard_rows=10, progress=False)

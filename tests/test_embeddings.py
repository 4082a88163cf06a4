"""Embedding tables a user hands to ``eval embeddings``: every bad one is a one-line error."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.cli.test_main import main_user_error
from tests.store.helpers import corrupt_pages, unit_vectors, write_embeddings
from upgradeflow.embeddings import read_embedding_table
from upgradeflow.errors import UserInputError


def eval_error(capsys, queries, gallery) -> str:
    return main_user_error(capsys, "eval", "embeddings", "--queries", str(queries), "--gallery", str(gallery))


LIST = pa.list_(pa.float32())


def write_lists(path, embeddings: list, kind: pa.DataType = LIST):
    pq.write_table(
        pa.table(
            {
                "id": [f"q-{i}" for i in range(len(embeddings))],
                "embedding": pa.array(embeddings, kind),
                "identity": pa.array(range(len(embeddings)), pa.int64()),
            }
        ),
        path,
    )
    return path


@pytest.fixture
def gallery(tmp_path):
    return write_embeddings(tmp_path / "gallery.parquet", 20)


def test_corrupt_page_is_one_line_naming_the_file(capsys, tmp_path, gallery):
    corrupt = corrupt_pages(write_embeddings(tmp_path / "corrupt.parquet", 20))
    line = eval_error(capsys, corrupt, gallery)
    assert "corrupt.parquet: not a readable Parquet file" in line and line.isprintable()


def test_null_embedding_row_is_one_line(capsys, tmp_path, gallery):
    rows = [v.tolist() for v in unit_vectors(3, 16, 1)]
    queries = write_lists(tmp_path / "null.parquet", [rows[0], None, rows[2]])
    assert "null.parquet: 1 rows have no 'embedding'" in eval_error(capsys, queries, gallery)


def test_zero_rows_is_one_line(capsys, tmp_path, gallery):
    queries = write_lists(tmp_path / "empty.parquet", [], pa.list_(pa.float32(), 16))
    assert eval_error(capsys, queries, gallery).endswith("empty.parquet: no rows")


def test_zero_dimensional_embeddings_are_refused(capsys, tmp_path):
    queries = write_lists(tmp_path / "zero.parquet", [[], []])
    assert "zero.parquet: embedding has 0 dimensions" in eval_error(capsys, queries, queries)


def test_zero_dimensional_fixed_size_list_is_refused(tmp_path):
    """Arrow cannot read back a written fixed_size_list[0]; check the in-memory path instead."""
    from upgradeflow.embeddings import vectors

    table = pa.table({"embedding": pa.array([[], []], pa.list_(pa.float32(), 0))})
    with pytest.raises(UserInputError, match="embedding has 0 dimensions"):
        vectors(table, "embedding", tmp_path / "t.parquet")


def test_good_table_still_reads(tmp_path):
    ids, embeddings, _ = read_embedding_table(write_embeddings(tmp_path / "g.parquet", 4))
    assert ids.tolist() == [f"item-{i}" for i in range(4)] and embeddings.shape == (4, 16)
    assert np.allclose(np.linalg.norm(embeddings, axis=1), 1.0, atol=1e-5)

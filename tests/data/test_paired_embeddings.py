"""Pairs files with a hole in them are refused in one line by every command that reads them."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.test_cli import main_user_error
from upgradeflow.data.paired_embeddings import PairedPart, write_pairs


def unit(rows: int, dim: int, seed: int) -> np.ndarray:
    x = np.random.default_rng(seed).standard_normal((rows, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


@pytest.fixture
def null_pairs(tmp_path):
    parts = {
        role: PairedPart(unit(6, 8, seed), unit(6, 12, seed + 10), np.arange(6) % 3)
        for seed, role in enumerate(("train", "query", "gallery"))
    }
    path = write_pairs(tmp_path / "pairs.parquet", parts)
    table = pq.read_table(path)
    old = [row.tolist() for row in np.asarray(table.column("old_embedding").to_pylist())]
    old[4] = None
    column = table.schema.get_field_index("old_embedding")
    pq.write_table(table.set_column(column, "old_embedding", pa.array(old, pa.list_(pa.float32()))), path)
    return path


@pytest.mark.parametrize("command", [["adapters", "fit"], ["bench", "pairs"]])
def test_null_old_embedding_is_one_line(capsys, tmp_path, null_pairs, command):
    error = main_user_error(capsys, *command, "--pairs", str(null_pairs), "--out", str(tmp_path / "out"))
    assert error == f"upgradeflow: error: {null_pairs}: 1 rows have no 'old_embedding'"
    assert not (tmp_path / "out").exists()

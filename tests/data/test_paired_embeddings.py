"""A pairs file is checked whole before anything is fitted: every illegal shape is one
line and exit 2 with nothing fitted or written, and every legal shape is read."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.cli.test_main import main_user_error
from upgradeflow.cli.main import main
from upgradeflow.data.paired_embeddings import PairedPart, read_pairs, write_pairs


def unit(rows: int, dim: int, seed: int) -> np.ndarray:
    x = np.random.default_rng(seed).standard_normal((rows, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def small_parts(rows: int = 6) -> dict[str, PairedPart]:
    return {
        role: PairedPart(unit(rows, 8, seed), unit(rows, 12, seed + 10), np.arange(rows) % 3)
        for seed, role in enumerate(("train", "query", "gallery"))
    }


def rewrite(path, change) -> None:
    """Apply ``change`` to the file's columns (a dict of Python lists) and write it back."""
    columns = pq.read_table(path).to_pydict()
    change(columns)
    types = {"old_embedding": pa.list_(pa.float32()), "new_embedding": pa.list_(pa.float32())}
    pq.write_table(pa.table({k: pa.array(v, types.get(k)) for k, v in columns.items()}), path)


def set_row(name: str, row: int, value):
    return lambda c: c[name].__setitem__(row, value)


ILLEGAL = [
    ("missing-column", lambda c: c.pop("new_embedding"), r"missing column\(s\) new_embedding"),
    ("unknown-role", set_row("role", 0, "test"), r"unknown role\(s\) \['test'\]"),
    ("null-role", set_row("role", 0, None), "1 rows have no role"),
    ("no-query", lambda c: c.update(role=["gallery" if r == "query" else r for r in c["role"]]), "no 'query' rows"),
    ("no-train", lambda c: c.update(role=["gallery" if r == "train" else r for r in c["role"]]), "no 'train' rows"),
    ("one-train-row", lambda c: c.update(role=["train", *("gallery" if r == "train" else r for r in c["role"][1:])]),
     "1 'train' row"),
    ("duplicate-id", set_row("id", 1, "train-0"), "1 ids occur more than once \\(first: 'train-0'\\)"),
    ("null-id", set_row("id", 2, None), "1 rows have no id"),
    ("query-without-identity", set_row("identity", 6, None), "1 'query' rows have no identity"),
    ("no-identity-column", lambda c: c.pop("identity"), "no 'identity' column; evaluation needs"),
    ("text-identity", lambda c: c.update(identity=[str(i) for i in c["identity"]]), "'identity' must be integers"),
    ("nan", lambda c: c["old_embedding"][3].__setitem__(0, float("nan")), "1 rows have NaN or infinite values"),
    ("inf", lambda c: c["new_embedding"][7].__setitem__(1, float("inf")), "1 rows have NaN or infinite values"),
    ("zero-vector", set_row("new_embedding", 4, [0.0] * 12), "1 rows have an all-zero 'new_embedding'"),
    ("overflowing-vector", set_row("old_embedding", 2, [1e30] * 8),
     "1 rows have values too large in 'old_embedding' \\(squares overflow float32\\)"),
    ("null-vector", set_row("old_embedding", 4, None), "1 rows have no 'old_embedding'"),
    ("ragged", set_row("old_embedding", 5, [0.5] * 7), r"'old_embedding' vectors have different lengths \[7, 8\]"),
    ("no-shared-identity", lambda c: c.update(identity=[i + 100 if r == "query" else i
                                                       for i, r in zip(c["identity"], c["role"], strict=True)]),
     "no query identity occurs among the gallery rows"),
]  # fmt: skip


@pytest.mark.parametrize(("change", "message"), [case[1:] for case in ILLEGAL], ids=[case[0] for case in ILLEGAL])
def test_each_illegal_shape_is_one_line_before_any_fitting(tmp_path, capsys, change, message):
    path = write_pairs(tmp_path / "pairs.parquet", small_parts())
    rewrite(path, change)
    out = tmp_path / "report.json"
    # main_user_error asserts stderr holds exactly the error line: no fitting has reported progress
    error = main_user_error(capsys, "bench", "pairs", "--pairs", str(path), "--out", str(out))
    assert error.startswith(f"upgradeflow: error: {path}: ")
    import re

    assert re.search(message, error), error
    assert not out.exists() and not out.with_suffix(".md").exists()


def test_a_file_that_is_not_parquet_is_one_line(tmp_path, capsys):
    path = tmp_path / "pairs.parquet"
    path.write_bytes(b"id,role\n1,train\n")
    error = main_user_error(capsys, "adapters", "fit", "--pairs", str(path), "--out", str(tmp_path / "a"))
    assert "not a readable Parquet file" in error and not (tmp_path / "a").exists()


def test_fitting_needs_no_identities_and_no_evaluation_rows(tmp_path):
    """``adapters fit`` takes train rows alone; a train row without identity stands alone."""
    path = write_pairs(tmp_path / "pairs.parquet", {"train": small_parts(40)["train"]})
    rewrite(path, lambda c: c.pop("identity"))
    parts = read_pairs(path, evaluate=False)
    assert list(parts) == ["train"] and len(np.unique(parts["train"].identities)) == 40
    assert main(["adapters", "fit", "--pairs", str(path), "--out", str(tmp_path / "adapters")]) == 0
    assert (tmp_path / "adapters" / "forward.pt").exists() and (tmp_path / "adapters" / "reverse.json").exists()


def test_train_rows_without_identity_get_identities_of_their_own(tmp_path):
    path = write_pairs(tmp_path / "pairs.parquet", small_parts())
    rewrite(path, set_row("identity", 0, None))
    train = read_pairs(path)["train"]
    assert train.identities[0] not in train.identities[1:]
    assert train.identities[0] > max(np.asarray(pq.read_table(path).column("identity").drop_null()))


def test_identities_only_in_train_and_one_row_each_are_legal(tmp_path):
    parts = small_parts()
    parts["train"] = PairedPart(parts["train"].old, parts["train"].new, np.arange(100, 106))
    parts["gallery"] = PairedPart(parts["gallery"].old, parts["gallery"].new, np.arange(6))
    parts["query"] = PairedPart(parts["query"].old[:2], parts["query"].new[:2], np.arange(2))
    read = read_pairs(write_pairs(tmp_path / "pairs.parquet", parts))
    assert {role: len(part.identities) for role, part in read.items()} == {"train": 6, "query": 2, "gallery": 6}

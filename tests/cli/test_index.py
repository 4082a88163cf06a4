"""``upgradeflow index``: build, swap, list, roll back and collect index versions, and
search the live one, from the command line."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.cli.test_main import main_user_error
from tests.store.helpers import unit_vectors, write_embeddings
from upgradeflow.cli.main import main


def run(capsys, *args: str) -> str:
    capsys.readouterr()
    assert main(list(args)) == 0
    return capsys.readouterr().out


def test_a_second_kind_swaps_in_rolls_back_and_the_first_stays_searchable(capsys, tmp_path, index_store):
    s = ["--store", index_store]
    assert run(capsys, "index", "list", "g", *s).split()[:2] == ["v1.flat", "live"]
    built = run(capsys, "index", "build", "g", "--gallery", "g", "--kind", "hnsw", "--no-progress", *s)
    assert built == "g v1.hnsw: built, 20 rows\n"
    assert run(capsys, "index", "swap", "g", "v1.hnsw", "--expect", "v1.flat", *s) == (
        "g: live v1.hnsw (previous v1.flat)\n"
    )
    states = {line.split()[0]: line.split()[1] for line in run(capsys, "index", "list", "g", *s).splitlines()}
    assert states == {"v1.flat": "previous", "v1.hnsw": "live"}
    assert run(capsys, "index", "rollback", "g", *s) == "g: rolled back; live v1.flat (previous -)\n"

    queries = write_embeddings(tmp_path / "q.parquet", 2, vectors=unit_vectors(2, 16, 3), prefix="q")
    found = json.loads(run(capsys, "index", "search", "g", "--queries", str(queries), "--k", "20", *s))
    assert found["version"] == "v1.flat" and [len(r["ids"]) for r in found["results"]] == [20, 20]
    assert run(capsys, "index", "gc", "g", "--keep", "1", *s).startswith("g: deleted 0 versions;")


def test_an_empty_catalog_says_so(capsys, tmp_path):
    assert run(capsys, "index", "list", "g", "--store", str(tmp_path / "store")) == "g: no built versions\n"


@pytest.mark.parametrize(
    ("vectors", "k", "message"),
    [
        (
            np.vstack([unit_vectors(1, 16, 4), np.zeros((1, 16), np.float32)]),
            "3",
            "1 rows have an all-zero 'embedding'",
        ),
        (np.full((2, 16), 1e30, np.float32), "3", "too large"),
        (unit_vectors(2, 16, 3), "1000000000", "--k 1000000000: the index holds 20 rows"),
        (unit_vectors(2, 16, 3), "21", "--k 21: the index holds 20 rows"),
        (unit_vectors(2, 16, 3), "0", "argument --k: must be a positive integer, got 0"),
    ],
    ids=["zero-query", "overflowing-query", "k-1e9", "k-beyond-rows", "k-zero"],
)
def test_index_search_refuses_meaningless_queries(capsys, tmp_path, index_store, vectors, k, message):
    queries = write_embeddings(tmp_path / "q.parquet", len(vectors), vectors=vectors, prefix="q")
    error = main_user_error(capsys, "index", "search", "g", "--queries", str(queries), "--k", k, "--store", index_store)
    assert message in error, error

"""Counts and indexes on the command line are refused by the parser, before any work."""

from __future__ import annotations

import argparse

import pytest

from tests.store.helpers import make_adapter, unit_vectors, write_embeddings
from upgradeflow.cli.args import non_negative_int, positive_int
from upgradeflow.cli.main import main


def test_types_accept_their_range_and_name_the_problem():
    assert positive_int("3") == 3 and non_negative_int("0") == 0
    for parse, text, message in [
        (positive_int, "0", "must be a positive integer, got 0"),
        (non_negative_int, "-1", "must be a non-negative integer, got -1"),
        (positive_int, "2.5", "must be an integer, got '2.5'"),
    ]:
        with pytest.raises(argparse.ArgumentTypeError, match=message):
            parse(text)


def test_a_bad_batch_size_stages_nothing(tmp_path, capsys):
    store = ["--store", str(tmp_path / "store")]
    source = write_embeddings(tmp_path / "g.parquet", 20, vectors=unit_vectors(20, 16, 0))
    assert main(["gallery", "import", "g", "--from", str(source), "--version", "v1", *store]) == 0
    adapter = make_adapter(tmp_path / "adapter")
    with pytest.raises(SystemExit) as exit_:
        main(["gallery", "evolve", "g", "--adapter", str(adapter), "--batch-rows", "0", "--to", "v2", *store])
    assert exit_.value.code == 2 and "--batch-rows: must be a positive integer" in capsys.readouterr().err
    assert main(["gallery", "list", "g", *store]) == 0
    assert "v2" not in capsys.readouterr().out


@pytest.mark.parametrize(("seeds", "message"), [("-1", "seeds must be non-negative, got -1"), ("a", "integers")])
def test_bad_seeds_are_refused_before_the_dataset_loads(tmp_path, capsys, seeds, message):
    with pytest.raises(SystemExit) as exit_:
        main(["bench", "compat", "--dataset", f"parquet:{tmp_path / 'absent.parquet'}", "--seeds", seeds])
    assert exit_.value.code == 2 and message in capsys.readouterr().err

"""``upgradeflow adapters fit`` and ``upgradeflow bench pairs`` as commands: their
outputs are checked before the pairs file is read or anything is fitted, and what
``adapters fit`` writes records the choice beside the weights. What the pairs benchmark
measures is tested in tests/bench/test_pairs.py."""

from __future__ import annotations

import json

import pytest

from tests.bench.helpers import synthetic_parts, text_shaped_parts
from tests.cli.helpers import files_under
from tests.cli.test_main import main_user_error
from tests.data.test_paired_embeddings import small_parts
from upgradeflow.adapters.heldout import retrieval_key
from upgradeflow.cli.main import main
from upgradeflow.data.paired_embeddings import write_pairs
from upgradeflow.models.adapter import load_adapter


@pytest.fixture
def pairs(tmp_path):
    return write_pairs(tmp_path / "pairs.parquet", small_parts())


def test_bench_pairs_refuses_a_directory_as_its_result_file(capsys, tmp_path, pairs):
    (tmp_path / "results").mkdir()
    before = files_under(tmp_path)
    error = main_user_error(capsys, "bench", "pairs", "--pairs", str(pairs), "--out", str(tmp_path / "results"))
    assert error.endswith("results: is a directory; give a file path"), error
    assert files_under(tmp_path) == before


def test_adapters_fit_refuses_a_file_as_its_output_directory(capsys, tmp_path, pairs):
    (tmp_path / "adapters").write_text("keep me\n")
    before = files_under(tmp_path)
    error = main_user_error(capsys, "adapters", "fit", "--pairs", str(pairs), "--out", str(tmp_path / "adapters"))
    assert error.endswith("adapters: exists and is not a directory"), error
    assert files_under(tmp_path) == before


def test_too_few_training_rows_are_refused_before_fitting(tmp_path, capsys):
    pairs = write_pairs(tmp_path / "pairs.parquet", synthetic_parts(identities=80, per_identity=2))
    out = tmp_path / "adapters"
    assert main(["adapters", "fit", "--pairs", str(pairs), "--out", str(out), "--train-rows", "1"]) == 2
    error = capsys.readouterr().err.strip()
    assert error == "upgradeflow: error: --train-rows 1: fitting a map needs at least two rows"
    assert not out.exists()
    for rows in ("0", "-3"):
        with pytest.raises(SystemExit) as exit_:
            main(["adapters", "fit", "--pairs", str(pairs), "--out", str(out), "--train-rows", rows])
        assert exit_.value.code == 2 and "must be a positive integer" in capsys.readouterr().err


def test_adapters_fit_records_the_choice_beside_the_weights(tmp_path):
    pairs = write_pairs(tmp_path / "pairs.parquet", text_shaped_parts())
    assert main(["adapters", "fit", "--pairs", str(pairs), "--out", str(tmp_path / "adapters")]) == 0
    for direction in ("forward", "reverse"):
        document = json.loads((tmp_path / "adapters" / f"{direction}.json").read_text())
        selection = document["metadata"]["selection"]
        assert selection["chosen"] in selection["candidates"]
        winner = selection["candidates"][selection["chosen"]]
        assert all(retrieval_key(winner) >= retrieval_key(c) for c in selection["candidates"].values())
        load_adapter(tmp_path / "adapters" / f"{direction}.pt")

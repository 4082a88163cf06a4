"""Bring your own embeddings: adapters and the upgrade report from pairs alone."""

from __future__ import annotations

import json

import numpy as np
import pyarrow.parquet as pq
import pytest

from upgradeflow.cli import main
from upgradeflow.data.paired_embeddings import PairedPart, read_pairs, write_pairs
from upgradeflow.models.adapter import load_adapter


def synthetic_parts(new_noise=0.2, old_noise=0.8, old_dim=16, seed=0, identities=80, per_identity=8):
    """Two unrelated spaces over the same identities: the situation of two fixed models
    trained apart (raw new/old is meaningless)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(identities, 24))
    old_map, new_map = rng.normal(size=(24, old_dim)), rng.normal(size=(24, 32))
    parts = {}
    for role, ids in (("train", np.arange(0, 50)), ("query", np.arange(50, 80)), ("gallery", np.arange(50, 80))):
        count = 1 if role == "query" else per_identity
        labels = np.repeat(ids, count)
        base = centres[labels]
        old = base @ old_map + old_noise * 4 * rng.normal(size=(len(labels), old_dim))
        new = base @ new_map + new_noise * 4 * rng.normal(size=(len(labels), 32))
        parts[role] = PairedPart(old.astype(np.float32), new.astype(np.float32), labels)
    return parts


def test_adapters_make_unrelated_spaces_searchable(tmp_path, capsys):
    pairs = write_pairs(tmp_path / "pairs.parquet", synthetic_parts(old_dim=32))
    out = tmp_path / "report.json"
    assert main(["bench", "pairs", "--pairs", str(pairs), "--out", str(out), "--gate"]) == 0
    matrix = json.loads(out.read_text())["matrix"]
    assert matrix["new/old"]["map@100"] < 10  # unrelated spaces: raw search is noise
    assert matrix["new/evolved"]["map@100"] > matrix["new/old"]["map@100"] + 20
    assert matrix["new/rho-merged"]["map@100"] > matrix["new/old"]["map@100"] + 20
    assert "improves mAP@100" in capsys.readouterr().out


def test_dimensions_may_differ_and_adapters_are_saved(tmp_path):
    pairs = write_pairs(tmp_path / "pairs.parquet", synthetic_parts(old_dim=16))
    out = tmp_path / "report.json"
    assert main(["bench", "pairs", "--pairs", str(pairs), "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    assert "new/old" not in report["matrix"] and report["dimensions"] == {"old": 16, "new": 32}

    adapters = tmp_path / "adapters"
    assert main(["adapters", "fit", "--pairs", str(pairs), "--out", str(adapters)]) == 0
    forward, reverse = load_adapter(adapters / "forward.pt"), load_adapter(adapters / "reverse.pt")
    assert (forward.config.in_dim, forward.config.out_dim) == (16, 32)
    assert (reverse.config.in_dim, reverse.config.out_dim) == (32, 16)


def test_a_worse_new_model_is_said_plainly_and_gated(tmp_path, capsys):
    pairs = write_pairs(tmp_path / "pairs.parquet", synthetic_parts(new_noise=1.5, old_noise=0.2))
    out = tmp_path / "report.json"
    assert main(["bench", "pairs", "--pairs", str(pairs), "--out", str(out)]) == 0
    assert "WORSE" in capsys.readouterr().out
    assert main(["bench", "pairs", "--pairs", str(pairs), "--out", str(out), "--gate"]) == 4
    assert json.loads(out.read_text())["new_model_worse"]


def rewrite(path, change):
    table = pq.read_table(path).to_pydict()
    change(table)
    import pyarrow as pa

    pq.write_table(pa.table(table), path)
    return path


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t.update(role=[r if r != "query" else "gallery" for r in t["role"]]), "no 'query' rows"),
        (lambda t: t.update(role=["test", *t["role"][1:]]), r"unknown role\(s\) \['test'\]"),
        (lambda t: t.update(identity=[None, *t["identity"][1:]]), "1 'train' rows have no identity"),
        (lambda t: t["old_embedding"][3].__setitem__(0, float("nan")), "1 rows have NaN or infinite values"),
        (lambda t: t.pop("new_embedding"), r"missing column\(s\) new_embedding"),
    ],
)
def test_bad_pairs_files_are_refused_with_one_line(tmp_path, capsys, change, message):
    pairs = rewrite(write_pairs(tmp_path / "pairs.parquet", synthetic_parts(identities=80, per_identity=2)), change)
    assert main(["bench", "pairs", "--pairs", str(pairs), "--out", str(tmp_path / "r.json")]) == 2
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1
    import re

    assert re.search(message, error), error
    with pytest.raises(Exception, match=message):
        read_pairs(pairs)


def test_too_few_training_rows_are_refused_before_fitting(tmp_path, capsys):
    pairs = write_pairs(tmp_path / "pairs.parquet", synthetic_parts(identities=80, per_identity=2))
    out = tmp_path / "adapters"
    assert main(["adapters", "fit", "--pairs", str(pairs), "--out", str(out), "--train-rows", "1"]) == 2
    error = capsys.readouterr().err.strip()
    assert error == "upgradeflow: error: --train-rows 1 keeps 1 identity; adapters need at least two"
    assert not out.exists()
    for rows in ("0", "-3"):
        with pytest.raises(SystemExit) as exit_:
            main(["adapters", "fit", "--pairs", str(pairs), "--out", str(out), "--train-rows", rows])
        assert exit_.value.code == 2 and "must be a positive integer" in capsys.readouterr().err

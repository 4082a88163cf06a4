"""Bring your own embeddings: adapters and the upgrade report from pairs alone."""

from __future__ import annotations

import json

import numpy as np
import pytest

from upgradeflow.adapters.heldout import retrieval_key
from upgradeflow.cli.main import main
from upgradeflow.data.paired_embeddings import PairedPart, write_pairs
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


def text_shaped_parts(seed=0):
    """Sentence and paraphrase: two train rows per identity, one query and one gallery
    row per evaluated identity, the shape that leave-one-out prototypes cannot handle."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(400, 24))
    old_map, new_map = rng.normal(size=(24, 16)), rng.normal(size=(24, 24))

    def part(labels):
        base = centres[labels] + 0.3 * rng.normal(size=(len(labels), 24))
        old = base @ old_map + 0.5 * rng.normal(size=(len(labels), 16))
        return PairedPart(old.astype(np.float32), (base @ new_map).astype(np.float32), labels)

    tested = np.arange(300, 400)
    return {"train": part(np.repeat(np.arange(300), 2)), "query": part(tested), "gallery": part(tested)}


def test_two_rows_per_identity_runs_to_a_report_and_says_what_it_left_out(tmp_path):
    pairs = write_pairs(tmp_path / "pairs.parquet", text_shaped_parts())
    out = tmp_path / "report.json"
    assert main(["bench", "pairs", "--pairs", str(pairs), "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    assert report["identities"]["train_rows_per_identity"] == {"min": 2, "max": 2}
    assert any(note.startswith("worst-first: ") for note in report["notes"])
    assert not any(name.endswith("worst-first") for name in report["policies"])
    assert report["recommended_policy"] in report["policies"]
    for direction in ("forward", "reverse"):
        summary = report["adapters"][direction]
        assert {"ridge", "procrustes", "soft-orthogonal", "residual"} <= set(summary["candidates"])
        assert summary["held_out"]["by"] == "identity"
    markdown = out.with_suffix(".md").read_text()
    curve_rows = [
        line.split(" |")[0] for line in markdown.splitlines() if line.startswith(("| evolved-", "| rho-", "| old-"))
    ]
    assert sorted(curve_rows) == sorted(f"| {name}" for name in report["policies"]), "each policy once"


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

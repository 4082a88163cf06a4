"""Bring your own embeddings: adapters and the upgrade report from pairs alone."""

from __future__ import annotations

import json

from tests.bench.helpers import synthetic_parts, text_shaped_parts
from upgradeflow.cli.main import main
from upgradeflow.data.paired_embeddings import write_pairs
from upgradeflow.models.adapter import load_adapter


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

from __future__ import annotations

from upgradeflow.bench.heads import HEAD_PAIRS, verdict
from upgradeflow.bench.heads_report import heads_markdown, plot_heads


def result(new_old: dict[str, float]) -> dict:
    def figures(value: float) -> dict:
        return {"map@100": value, "top1": value + 10}

    methods = {
        name: {"mean": {p: figures(value if p == "new/old" else 50.0) for p in HEAD_PAIRS},
               "std": {p: figures(0.5) for p in HEAD_PAIRS}, "seconds": 3.0,
               "runs": [{"matrix": {p: figures(value) for p in HEAD_PAIRS}}]}
        for name, value in new_old.items()
    }  # fmt: skip
    reference = {"old/old": figures(40.0), "backbone/backbone": figures(55.0), "imitation/old": figures(30.0)}
    encoder = {"kind": "onnx", "source": "/m/model.onnx", "dimension": 384}
    return {"encoders": {"old": encoder, "new": encoder}, "data": {"rows": {"train": 9}}, "seeds": [0],
            "reference": reference, "methods": methods, "verdict": verdict(reference, methods)}  # fmt: skip


def test_the_table_has_a_row_per_head_and_names_the_winners():
    table = heads_markdown(result({"independent": 2.0, "bct": 41.5, "dmu": 43.0}))
    assert table.count("\n| ") == 1 + 3
    assert "new/old beats old/old on mAP@100 with: dmu (+3.00), bct (+1.50)." in table
    assert "| dmu | 43.00 ± 0.50 / 53.00 |" in table


def test_the_table_says_when_no_head_beats_old_old():
    table = heads_markdown(result({"bct": 39.0, "dmu": 38.0}))
    assert "No head makes new/old beat old/old on mAP@100; the closest, bct, stays 1.00 below." in table
    assert (
        "raw features beat old/old by 15.00, but no head carries that across;" in table
        and "reaches 30.00 new/old" in table
    )


def test_the_plot_is_written(tmp_path):
    plot_heads(result({"independent": 2.0, "bct": 41.5}), tmp_path / "heads.png")
    assert (tmp_path / "heads.png").stat().st_size > 1000

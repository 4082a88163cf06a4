"""The compatibility trade-off plots: new/old against new/new, and methods against
BCT's λ curve."""

from __future__ import annotations

from tests.evaluation.helpers import png_size
from upgradeflow.evaluation.plot import plot_lambda_curves, plot_tradeoff


def matrix(new_old: float, new_new: float | None = None) -> dict:
    pairs = {"old/old": {"map@100": 30.0}, "new/old": {"map@100": new_old}}
    return pairs if new_new is None else pairs | {"new/new": {"map@100": new_new}}


def test_the_trade_off_plot_skips_a_method_with_no_new_model(tmp_path):
    """The old model's own row has no new/new: it sets the old/old bar and is not a point."""
    result = {
        "dataset": "glyphs",
        "scenario": "hard",
        "methods": {
            "old": {"matrix": matrix(30.0)},
            "bct": {"matrix": matrix(32.0, 60.0), "matrix_std": {"new/new": {"map@100": 1.0}}},
        },
    }
    plot_tradeoff(result, tmp_path / "tradeoff.png")
    assert png_size(tmp_path / "tradeoff.png") == (660, 540)


def test_the_lambda_plot_draws_inside_bcts_range_and_lists_the_rest(tmp_path):
    merged = {
        "dataset": "glyphs",
        "scenario": "hard",
        "methods": {"bct": {"matrix": matrix(32.0, 60.0)}, "bct-l2": {"matrix": matrix(35.0, 55.0)},
                    "dmu": {"matrix": matrix(33.0, 59.0)}, "far": {"matrix": matrix(5.0, 70.0)}},
    }  # fmt: skip
    inside = {"above_bct_curve": {"seeds_inside": 1}}
    trade_off = {
        "baseline": "bct",
        "curves": {"bct": ["bct", "bct-l2"]},
        "methods": {"bct": inside, "bct-l2": inside, "dmu": inside, "far": {"above_bct_curve": {"seeds_inside": 0}}},
    }
    plot_lambda_curves(merged, trade_off, tmp_path / "lambda.png")
    assert png_size(tmp_path / "lambda.png") == (840, 600)

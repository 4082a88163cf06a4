"""Challenger against champion: the table and chart a reviewer reads before promoting."""

from __future__ import annotations

from tests.evaluation.helpers import png_size
from upgradeflow.evaluation.comparison import comparison_markdown, comparison_rows, plot_comparison


def figures(value: float) -> dict:
    return {"map@100": value, "map": value - 1, "top1": value + 1, "top5": value + 2}


EVALUATION = {
    "dataset": "glyphs",
    "queries": 30,
    "gallery": 240,
    "champion": figures(40.0),
    "challenger": {"matrix": {"new/new": figures(50.0), "new/evolved": figures(45.125)}},
}


def test_the_champion_comes_first_then_each_challenger_pair():
    labels = [label for label, _ in comparison_rows(EVALUATION)]
    assert labels == ["champion (self)", "challenger new/new", "challenger new/evolved"]


def test_the_table_names_both_models_and_rounds_to_two_places():
    lines = comparison_markdown(EVALUATION, "models:/glyphs/1", "run abc").splitlines()
    assert lines[0] == "Challenger run abc against champion models:/glyphs/1 (glyphs, 30 queries, 240 gallery items)."
    assert lines[-1] == "| challenger new/evolved | 45.12 | 44.12 | 46.12 | 47.12 |"


def test_the_chart_is_a_png(tmp_path):
    plot_comparison(EVALUATION, tmp_path / "comparison.png")
    assert png_size(tmp_path / "comparison.png") == (1080, 456)

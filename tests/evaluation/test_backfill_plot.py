"""The plot of every backfill curve between old/old and new/new."""

from __future__ import annotations

from tests.evaluation.helpers import png_size
from upgradeflow.evaluation.backfill_plot import plot_backfill


def test_every_curve_is_drawn_into_one_png(tmp_path):
    curves = {
        "evolved": {"fractions": [0.0, 0.5, 1.0], "map@100": [40.0, 45.0, 50.0]},
        "evolved-worst-first": {"fractions": [0.0, 0.5, 1.0], "map@100": [40.0, 48.0, 50.0]},
    }
    path = tmp_path / "plots" / "backfill.png"
    plot_backfill(curves, old_old=38.0, new_new=50.0, title="glyphs / hard", path=path)
    assert png_size(path) == (780, 540)

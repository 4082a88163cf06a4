"""One plot with every backfill curve: quality against backfilled fraction, between
the old system (old/old) and the finished upgrade (new/new)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from upgradeflow.atomic import atomic_path


def plot_backfill(curves: dict[str, dict], old_old: float, new_new: float, title: str, path: str | Path) -> None:
    fig, ax = plt.subplots(figsize=(6.5, 4.5), dpi=120)
    for name, curve in curves.items():
        style = "--" if "first" in name else "-"
        ax.plot(curve["fractions"], curve["map@100"], style, marker="o", markersize=3, label=name)
    ax.axhline(old_old, color="grey", linestyle=":", label="old/old")
    ax.axhline(new_new, color="black", linestyle=":", label="new/new")
    ax.set_xlabel("backfilled fraction of the gallery")
    ax.set_ylabel("mAP@100")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7, loc="lower right")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)

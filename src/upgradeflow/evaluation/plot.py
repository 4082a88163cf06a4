"""The trade-off plot of the compatibility papers: new/old (compatibility) against
new/new (new-model quality), with old/old as the bar new/old must clear."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from upgradeflow.atomic import atomic_path


def plot_tradeoff(result: dict, path: str | Path, metric: str = "map@100") -> None:
    fig, ax = plt.subplots(figsize=(5.5, 4.5), dpi=120)
    old_old = None
    for name, method in result["methods"].items():
        matrix, spread = method["matrix"], method.get("matrix_std", {})
        old_old = matrix["old/old"][metric]
        if "new/new" not in matrix:
            continue
        ax.errorbar(
            matrix["new/new"][metric],
            matrix["new/old"][metric],
            xerr=spread.get("new/new", {}).get(metric, 0),
            yerr=spread.get("new/old", {}).get(metric, 0),
            fmt="o",
            capsize=3,
            label=name,
        )
    if old_old is not None:
        ax.axhline(old_old, color="grey", linestyle="--", label="old/old")
    ax.set_xlabel(f"new/new {metric}")
    ax.set_ylabel(f"new/old {metric}")
    ax.set_title(
        f"{result['dataset']} / {result['scenario']}: compatibility vs new-model quality",
        fontsize=9,
    )
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)

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


def plot_lambda_curves(merged: dict, trade_off: dict, path: str | Path, metric: str = "map@100") -> None:
    """Methods within BCT's new/old range, each λ family joined by a line and every point
    named; the methods outside that range are listed under the plot, not drawn, so they do
    not squash the region where the methods differ."""
    fig, ax = plt.subplots(figsize=(7, 5), dpi=120)
    inside = {n for n, row in trade_off["methods"].items() if row["above_bct_curve"]["seeds_inside"]}
    for colour, (family, members) in enumerate(trade_off["curves"].items()):
        points = [merged["methods"][m]["matrix"] for m in members if m in inside]
        ax.plot(
            [p["new/new"][metric] for p in points],
            [p["new/old"][metric] for p in points],
            marker="o",
            color="black" if family == trade_off["baseline"] else f"C{colour}",
            label=f"{family} as λ varies",
        )
    for name in inside:
        matrix = merged["methods"][name]["matrix"]
        x, y = matrix["new/new"][metric], matrix["new/old"][metric]
        if not any(name in members for members in trade_off["curves"].values()):
            ax.plot(x, y, marker="s", color="grey", linestyle="none")
        ax.annotate(name, (x, y), fontsize=6, xytext=(3, 3), textcoords="offset points")
    outside = sorted(set(trade_off["methods"]) - inside)
    ax.set_xlabel(f"new/new {metric}")
    ax.set_ylabel(f"new/old {metric}")
    ax.set_title(f"{merged['dataset']} / {merged['scenario']}: methods against BCT's λ curve", fontsize=9)
    if outside:
        fig.text(0.01, 0.01, f"outside BCT's new/old range, not drawn: {', '.join(outside)}", fontsize=6)
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)

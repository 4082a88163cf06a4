"""Challenger against champion: the table and bar chart a reviewer reads before
promoting a model."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from upgradeflow.atomic import atomic_path

SHOWN = ("map@100", "top1")


def comparison_rows(evaluation: dict) -> list[tuple[str, dict]]:
    """(label, metrics) for the champion's own retrieval, then every challenger pair."""
    rows = [("champion (self)", evaluation["champion"])]
    rows += [(f"challenger {pair}", metrics) for pair, metrics in evaluation["challenger"]["matrix"].items()]
    return rows


def comparison_markdown(evaluation: dict, champion: str, challenger: str) -> str:
    lines = [
        f"Challenger {challenger} against champion {champion} "
        f"({evaluation['dataset']}, {evaluation['queries']} queries, {evaluation['gallery']} gallery items).",
        "",
        "| model / pair | mAP@100 | mAP | top-1 | top-5 |",
        "|---|---|---|---|---|",
    ]
    for label, metrics in comparison_rows(evaluation):
        lines.append(
            f"| {label} | {metrics['map@100']:.2f} | {metrics['map']:.2f} | {metrics['top1']:.2f} | "
            f"{metrics['top5']:.2f} |"
        )
    return "\n".join(lines) + "\n"


def plot_comparison(evaluation: dict, path: str | Path) -> None:
    rows = comparison_rows(evaluation)
    fig, axes = plt.subplots(1, len(SHOWN), figsize=(9, 3.8), dpi=120)
    for ax, metric in zip(axes, SHOWN, strict=True):
        values = [m[metric] for _, m in rows]
        colours = ["grey"] + ["tab:blue"] * (len(rows) - 1)
        ax.barh([label for label, _ in rows], values, color=colours)
        ax.axvline(evaluation["champion"][metric], color="grey", linestyle="--", linewidth=1)
        ax.set_xlabel(metric)
        ax.invert_yaxis()
        for y, value in enumerate(values):
            ax.text(value, y, f" {value:.1f}", va="center", fontsize=7)
    axes[1].set_yticklabels([])
    fig.suptitle("challenger against champion", fontsize=9)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)

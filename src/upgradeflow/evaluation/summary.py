"""Seeds to mean and spread, and the Markdown table of a compatibility benchmark."""

from __future__ import annotations

import numpy as np

METRICS = ("map@100", "map", "top1", "top5")


def mean_and_std(per_seed: list[dict[str, dict]]) -> tuple[dict, dict]:
    """Average nested ``{pair: {metric: value}}`` dictionaries over seeds."""
    mean: dict[str, dict] = {}
    std: dict[str, dict] = {}
    for pair in per_seed[0]:
        values = {m: [run[pair][m] for run in per_seed] for m in METRICS}
        mean[pair] = {m: round(float(np.mean(v)), 3) for m, v in values.items()}
        std[pair] = {m: round(float(np.std(v)), 3) for m, v in values.items()}
    return mean, std


def _cell(result: dict, pair: str, metric: str) -> str:
    value = result["matrix"][pair][metric]
    spread = result.get("matrix_std", {}).get(pair, {}).get(metric)
    return f"{value:.1f} ± {spread:.1f}" if spread is not None and len(result["per_seed"]) > 1 else f"{value:.1f}"


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")


def markdown_table(result: dict) -> str:
    seeds = result["seeds"]
    lines = [
        f"Compatibility benchmark: dataset `{result['dataset']}`, scenario `{result['scenario']}`, "
        f"{'quick' if result['quick'] else 'full'} mode, seeds {seeds} (mean ± std).",
        "",
        "| method | query/gallery | mAP@100 | mAP | top-1 | top-5 | neg. flips | compatible |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, method in result["methods"].items():
        for pair in method["matrix"]:
            flips = method.get("negative_flip_rate", {}).get(pair)
            compatible = method.get("compatible") if pair == "new/old" else None
            lines.append(
                f"| {name} | {pair} | "
                + " | ".join(_cell(method, pair, m) for m in METRICS)
                + f" | {'' if flips is None else f'{flips:.1f}'} | {_yes_no(compatible)} |"
            )
    cost = result.get("bct_new_new_cost")
    if cost:
        lines += [
            "",
            f"BCT new/new cost against independent (mAP@100, paired by seed): "
            f"{cost['mean']:+.2f} ± {cost['std']:.2f} points.",
        ]
    return "\n".join(lines) + "\n"

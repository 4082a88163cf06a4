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


IDENTITIES = {"test": "test identities", "validation": "validation view of the training identities"}


def markdown_table(result: dict) -> str:
    seeds = result["seeds"]
    # Results recorded before the field existed say which identities only in their file name.
    identities = f", {IDENTITIES[result['identities']]}" if "identities" in result else ""
    lines = [
        f"Compatibility benchmark: dataset `{result['dataset']}`, scenario `{result['scenario']}`, "
        f"{'quick' if result['quick'] else 'full'} mode{identities}, seeds {seeds} (mean ± std).",
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
    sections = _adapter_lines(result) + _against_bct_lines(result) + _width_lines(result) + _backfill_lines(result)
    return "\n".join(lines + sections) + "\n"


def _adapter_lines(result: dict) -> list[str]:
    rows = [
        f"| {name} | {m['adapter']} | {m['gap_closed']['mean']:.2f} ± {m['gap_closed']['std']:.2f} | "
        + _ceiling(m)
        + " | "
        + _weights(m)
        + " |"
        for name, m in result["methods"].items()
        if "gap_closed" in m
    ]
    if not rows:
        return []
    return [
        "",
        "Evolved gallery: share of the new/old to new/new gap (mAP@100) that new/evolved closes; "
        "ceiling: the share closed by a diagnostic adapter fitted on the evaluated gallery's own pairs; "
        "DMU sample weights (mean) for identities the old model trained on and for the others.",
        "",
        "| method | adapter | gap closed | ceiling | weights seen / unseen |",
        "|---|---|---|---|---|",
        *rows,
    ]


def _ceiling(method: dict) -> str:
    ceiling = method.get("evolution_ceiling")
    return f"{ceiling['mean']:.2f} ± {ceiling['std']:.2f}" if ceiling else ""


def _weights(method: dict) -> str:
    summaries = [run["weights"] for run in method["per_seed"] if "weights" in run]
    if not summaries:
        return ""
    seen = np.mean([w["seen_mean"] for w in summaries if w["seen_mean"] is not None])
    unseen = np.mean([w["unseen_mean"] for w in summaries if w["unseen_mean"] is not None])
    return f"{seen:.2f} / {unseen:.2f}"


def _against_bct_lines(result: dict) -> list[str]:
    against = result.get("against_bct") or {}
    if not against:
        return []
    lines = [
        "",
        "Against BCT, paired by seed (mAP@100 points, mean ± std over seeds):",
        "",
        "| method | new/old | new/evolved | new/new |",
        "|---|---|---|---|",
    ]
    for name, pairs in against.items():
        cells = [f"{pairs[p]['mean']:+.2f} ± {pairs[p]['std']:.2f}" for p in ("new/old", "new/evolved", "new/new")]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines


def _width_lines(result: dict) -> list[str]:
    lines: list[str] = []
    for name, method in result["methods"].items():
        if "width_matrix" not in method:
            continue
        matrix, verdicts = method["width_matrix"], method["width_compatible_every_seed"]
        widths = [pair.split("/")[0] for pair in matrix if pair.endswith("/old")]
        lines += [
            "",
            f"`{name}`: query width (rows) by gallery width (columns), mAP@100 / top-1; "
            "✗ marks a cross pair that does not beat the narrower width's self-retrieval "
            "(or old/old, for the old column) on that metric.",
            "",
            "| query \\ gallery | " + " | ".join([*widths, "old"]) + " |",
            "|---" * (len(widths) + 2) + "|",
        ]
        for q in widths:
            cells = []
            for g in [*widths, "old"]:
                value = matrix[f"{q}/{g}"]
                marks = verdicts.get(f"{q}/{g}", {})
                flags = "".join("" if ok else "✗" for ok in marks.values())
                cells.append(f"{value['map@100']:.1f} / {value['top1']:.1f}{(' ' + flags) if flags else ''}")
            lines.append(f"| {q} | " + " | ".join(cells) + " |")
        first = method["per_seed"][0]
        seed = first["seed"]
        if first.get("log_variances") is not None:
            lines.append(f"\nLearned log-variances s_k (seed {seed}): {first['log_variances']}.")
        if first.get("projected_steps") is not None:
            share = first["projected_steps"]
            lines.append(f"Share of steps where gradient projection changed the update (seed {seed}): {share}.")
    return lines


def _backfill_lines(result: dict) -> list[str]:
    lines: list[str] = []
    for name, method in result["methods"].items():
        curves = method.get("backfill_curves")
        if not curves:
            continue
        fractions = next(iter(curves.values()))["fractions"]
        lines += [
            "",
            f"Backfill curves of `{name}` (mAP@100 by backfilled fraction; AUC is the mean over fractions, "
            "normalised AUC = (AUC - old/old) / (new/new - old/old); largest drop between consecutive steps; "
            "fraction reaching 95% of new/new, interpolated):",
            "",
            "| curve | " + " | ".join(f"{f:g}" for f in fractions) + " | AUC | norm. AUC | largest drop | to 95% |",
            "|---|" + "---|" * (len(fractions) + 4),
        ]
        for curve_name, curve in curves.items():
            reach = curve["fraction_to_95pct"]
            lines.append(
                f"| {curve_name} | "
                + " | ".join(f"{v:.1f}" for v in curve["map@100"])
                + f" | {curve['auc']:.1f} | {_number(curve['normalised_auc'], '.3f')} | {curve['largest_drop']:.2f}"
                + f" | {_number(reach, '.2f')} |"
            )
        lines += [
            "",
            "Negative flips (% of queries right under old/old and wrong at that step, top-1):",
            "",
            "| curve | " + " | ".join(f"{f:g}" for f in fractions) + " |",
            "|---|" + "---|" * len(fractions),
        ]
        for curve_name, curve in curves.items():
            lines.append(f"| {curve_name} | " + " | ".join(f"{v:.1f}" for v in curve["negative_flip_rate"]) + " |")
    return lines


def _number(value: float | None, spec: str) -> str:
    return "never" if value is None else format(value, spec)

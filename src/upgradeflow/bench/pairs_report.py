"""The Markdown report of a paired-embedding benchmark."""

from __future__ import annotations

PAIRS = ("old/old", "new/old", "new/rho-merged", "new/evolved", "new/new")
ADAPTER_TITLES = {"forward": "ψ (old to new): new/evolved", "reverse": "rho (new to old): new/rho-merged"}


def _number(value: float | None, digits: int = 1) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def _matrix(result: dict) -> list[str]:
    lines = ["| query/gallery | mAP@100 | mAP | top-1 | top-5 |", "|---|---|---|---|---|"]
    for pair in PAIRS:
        if pair in result["matrix"]:
            m = result["matrix"][pair]
            lines.append(f"| {pair} | {m['map@100']:.1f} | {m['map']:.1f} | {m['top1']:.1f} | {m['top5']:.1f} |")
    if "new/old" not in result["matrix"]:
        lines.append("| new/old | (dimensions differ: not comparable raw) | | | |")
    return lines


def _adapters(result: dict) -> list[str]:
    lines = []
    for direction, summary in result["adapters"].items():
        margin = summary["chosen_minus_best"]
        lines += [
            "",
            f"**{ADAPTER_TITLES[direction]}**: chosen `{summary['chosen']}`"
            + (f" (on `{summary['closed_form_base']}`)" if "closed_form_base" in summary else "")
            + f"; against the best closed form on the evaluated rows: {margin['map@100']:+.2f} mAP@100 "
            f"(`{summary['best_closed_form']['map@100']}`), {margin['top1']:+.2f} top-1 "
            f"(`{summary['best_closed_form']['top1']}`)." + (f" {summary['note']}." if "note" in summary else ""),
            "",
            "| candidate | held-out mAP@100 | held-out top-1 | mAP@100 | top-1 | fit s |",
            "|---|---|---|---|---|---|",
        ]
        for name, candidate in summary["candidates"].items():
            held, test = candidate.get("held_out", {}), candidate.get("test", {})
            label = f"**{name}**" if name == summary["chosen"] else name
            lines.append(
                f"| {label} | {_number(held.get('map@100'))} | {_number(held.get('top1'))} | "
                f"{_number(test.get('map@100'))} | {_number(test.get('top1'))} | {_number(candidate.get('seconds'))} |"
            )
    held = next(iter(result["adapters"].values())).get("held_out")
    if held:
        lines += [
            "",
            f"Held out by {held['by']}: {held['held_out_rows']} of the train rows "
            f"({held['protocol']} protocol); every map is refitted on all rows once chosen.",
        ]
    return lines


def _curve_row(name: str, curve: dict) -> str:
    reach = curve["fraction_to_95pct"]
    return (
        f"| {name} | {curve['auc']:.1f} | {_number(curve['normalised_auc'], 3)} | {curve['largest_drop']:.2f} | "
        f"{'never' if reach is None else f'{reach:.2f}'} |"
    )


def _policy_row(name: str, curve: dict) -> str:
    reach = curve["fraction_to_95pct"]
    bound = curve["held_out"].get(curve["scale"], {}).get("excess_drop_bound")
    return (
        f"| {name} | {curve['scale']} | {_number(bound, 2)} | "
        f"{'yes' if curve['servable'] else '**no**'} | {curve['auc']:.1f} | "
        f"{_number(curve['normalised_auc'], 3)} | {curve['largest_drop']:.2f} | {curve['excess_drop']:.2f} | "
        f"{'yes' if curve['meets_no_drop'] else '**no**'} | {'never' if reach is None else f'{reach:.2f}'} |"
    )


def _policies(result: dict) -> list[str]:
    depth = result.get("held_out_depth") or 100
    lines = [
        "",
        "Serving policies during a backfill. Each takes the score scale whose curve on held-out train rows "
        f"drops least; servable: no held-out step drops more than 0.5 mAP@{depth} beyond the curve's own trend "
        "(a curve that must end below its start may fall by its share of that decline each step), at the 95th "
        "percentile of a bootstrap over the held-out queries (held-out bound). The held-out rows are read at "
        f"mAP@{depth}, the same share of their gallery as mAP@100 reads of the evaluated one. Meets: no drop of "
        "0.5 mAP@100 beyond the trend on the evaluated rows. A policy that is not servable is shown for "
        "comparison only and never recommended.",
        "",
        "| policy | scale | held-out bound | servable | AUC | norm. AUC | largest drop | beyond trend | meets | "
        "to 95% |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, curve in result["policies"].items():
        lines.append(_policy_row(name, curve))
    best = result["recommended_policy"]
    if best is None:
        lines += ["", "**No policy is servable on this case.**"]
    else:
        norm = result["policies"][best]["normalised_auc"]
        shown = "none: new/new does not beat old/old" if norm is None else f"{norm:.3f}"
        lines += ["", f"**Recommended policy: `{best}`** (normalised AUC {shown} on the evaluated rows)."]
        chosen = result["policies"][best]
        if chosen["rest"] == "rho" or chosen["scale"] != "raw":
            lines.append(
                f"`upgradeflow serve` merges an evolved gallery's raw scores only: this policy (rest {chosen['rest']}, "
                f"{chosen['scale']} scores) needs a service that applies its calibration."
            )
        if best == "old-until-swap":
            lines.append(
                "No policy that serves during the backfill beats the old system on the held-out rows: keep the old "
                "index live, backfill beside it, and swap once."
            )
    if result["diagnostics"]:
        lines += ["", "Diagnostics (no serving path uses these; raw scores, random order):", "",
                  "| curve | AUC | norm. AUC | largest drop | to 95% |", "|---|---|---|---|---|"]  # fmt: skip
        lines += [_curve_row(name, curve) for name, curve in result["diagnostics"].items()]
    return lines


def pairs_markdown(result: dict) -> str:
    rows, dims, identities = result["rows"], result["dimensions"], result["identities"]
    per = identities["train_rows_per_identity"]
    lines = [
        f"Paired-embedding benchmark: `{result['pairs']}` ({rows['train']} train, {rows['query']} query, "
        f"{rows['gallery']} gallery rows; old {dims['old']}-d, new {dims['new']}-d; {identities['train']} train "
        f"identities with {per['min']}-{per['max']} rows each, {identities['shared_by_train_and_test']} of the "
        "evaluated identities also in train).",
        "",
        f"**Verdict: {result['verdict']}.**",
        "",
        *_matrix(result),
        *_adapters(result),
        *_policies(result),
    ]
    lines += ["", *[f"- {note}" for note in result["notes"]]] if result["notes"] else []
    seconds = result["seconds"]
    lines += ["", f"Adapters chosen in {seconds['adapters']:.1f} s; the whole benchmark took {seconds['total']:.1f} s."]
    return "\n".join(lines) + "\n"

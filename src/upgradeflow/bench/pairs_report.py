"""The Markdown report of a paired-embedding benchmark."""

from __future__ import annotations

PAIRS = ("old/old", "new/old", "new/rho-merged", "new/evolved", "new/new")


def pairs_markdown(result: dict) -> str:
    rows, dims = result["rows"], result["dimensions"]
    lines = [
        f"Paired-embedding benchmark: `{result['pairs']}` ({rows['train']} train, {rows['query']} query, "
        f"{rows['gallery']} gallery rows; old {dims['old']}-d, new {dims['new']}-d).",
        "",
        f"**Verdict: {result['verdict']}.**",
        "",
        "| query/gallery | mAP@100 | mAP | top-1 | top-5 |",
        "|---|---|---|---|---|",
    ]
    for pair in PAIRS:
        if pair in result["matrix"]:
            m = result["matrix"][pair]
            lines.append(f"| {pair} | {m['map@100']:.1f} | {m['map']:.1f} | {m['top1']:.1f} | {m['top5']:.1f} |")
    if "new/old" not in result["matrix"]:
        lines.append("| new/old | (dimensions differ: not comparable raw) | | | |")
    seconds = ", ".join(f"{k} {v:.1f} s" for k, v in result["adapter_seconds"].items())
    lines += ["", f"Adapter fit times: {seconds}.", "", "| backfill curve | AUC | norm. AUC | largest drop | to 95% |"]
    lines.append("|---|---|---|---|---|")
    for name, curve in result["backfill_curves"].items():
        reach = curve["fraction_to_95pct"]
        norm = curve["normalised_auc"]
        lines.append(
            f"| {name} | {curve['auc']:.1f} | {'' if norm is None else f'{norm:.3f}'} | {curve['largest_drop']:.2f} | "
            f"{'never' if reach is None else f'{reach:.2f}'} |"
        )
    return "\n".join(lines) + "\n"

"""The heads benchmark as a Markdown table and a trade-off plot."""

from __future__ import annotations

from pathlib import Path

from upgradeflow.bench.heads import HEAD_PAIRS, REFERENCE_PAIRS


def heads_markdown(result: dict) -> str:
    reference = result["reference"]
    old_old, backbone, imitation = (reference[p] for p in REFERENCE_PAIRS)
    encoders = result["encoders"]
    lines = [
        f"Old encoder: {encoders['old']['kind']} {Path(encoders['old']['source']).name} "
        f"({encoders['old']['dimension']}-d); new backbone: {encoders['new']['kind']} "
        f"{Path(encoders['new']['source']).name} ({encoders['new']['dimension']}-d).",
        f"Rows: {result['data']['rows']}; seeds {', '.join(map(str, result['seeds']))}; "
        "mAP@100 / top-1, mean ± std over seeds.",
        "",
        f"References: old/old {old_old['map@100']:.2f} / {old_old['top1']:.2f}; "
        f"the new backbone's raw features, new/new {backbone['map@100']:.2f} / {backbone['top1']:.2f}; "
        f"their least-squares imitation of the old encoder, new/old {imitation['map@100']:.2f} / "
        f"{imitation['top1']:.2f}.",
        "",
        "| head | " + " | ".join(HEAD_PAIRS) + " | new/old - old/old | new/new - independent | train s |",
        "|---|" + "---|" * (len(HEAD_PAIRS) + 3),
    ]
    verdict = result["verdict"]
    for name, method in result["methods"].items():
        cells = [
            f"{method['mean'][p]['map@100']:.2f} ± {method['std'][p]['map@100']:.2f} / {method['mean'][p]['top1']:.2f}"
            for p in HEAD_PAIRS
        ]
        gain = verdict["new_old_minus_old_old"][name]
        cost = verdict["new_new_minus_independent"].get(name)
        lines.append(
            f"| {name} | " + " | ".join(cells) + f" | {gain:+.2f} | {'' if cost is None else f'{cost:+.2f}'} | "
            f"{method['seconds']:.1f} |"
        )
    gains = verdict["new_old_minus_old_old"]
    beating = [f"{name} ({gains[name]:+.2f})" for name in verdict["beats_old_old"]]
    if beating:
        lines += ["", f"new/old beats old/old on mAP@100 with: {', '.join(beating)}."]
    else:
        best = max(result["methods"], key=lambda name: gains[name])
        headroom = backbone["map@100"] - old_old["map@100"]
        advantage = (
            f"the backbone's raw features reach only {backbone['map@100']:.2f} new/new against "
            f"{old_old['map@100']:.2f} old/old, so there is no advantage to carry"
            if headroom <= 0
            else f"the backbone's raw features beat old/old by {headroom:.2f}, but no head carries that across"
        )
        lines += ["", (
            f"No head makes new/old beat old/old on mAP@100; the closest, {best}, stays {-gains[best]:.2f} below. "
            f"Why: a new query beats an old one on the old gallery only if the new backbone knows more than the "
            f"old encoder and a head can carry that into the old space. Here {advantage}; the least-squares map "
            f"from the backbone's features onto the old embeddings reaches {imitation['map@100']:.2f} new/old."
        )]  # fmt: skip
    return "\n".join(lines) + "\n"


def plot_heads(result: dict, path: str | Path) -> None:
    """new/old against new/new per head and seed: up is compatible, right is good."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(6.5, 4.5))
    for name, method in result["methods"].items():
        runs = method["runs"]
        axes.scatter([r["matrix"]["new/new"]["map@100"] for r in runs],
                     [r["matrix"]["new/old"]["map@100"] for r in runs], label=name)  # fmt: skip
    old_old = result["reference"]["old/old"]["map@100"]
    axes.axhline(old_old, color="grey", linestyle="--", label="old/old")
    axes.axvline(result["reference"]["backbone/backbone"]["map@100"], color="black", linestyle=":",
                 label="backbone new/new")  # fmt: skip
    axes.set_xlabel("new/new mAP@100")
    axes.set_ylabel("new/old mAP@100")
    axes.legend(fontsize=8)
    axes.set_title("Compatible heads: compatibility against the new model's own quality")
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)

"""Several compatibility runs read as one trade-off: BCT's own new/old against new/new
curve as its compatibility weight λ varies, and how far above or below it every other
method lies.

A single λ can make any variant look better on one axis by giving up the other, so a
method only beats BCT where it lies above that curve: at the new/old it reaches, it
keeps more new/new than BCT at the λ that reaches the same new/old. Runs are merged
only if they share the split and the old model, which the old/old figures of every
seed show.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from upgradeflow.errors import UserInputError

METRIC = "map@100"
BASELINE = "bct"
SAME_RUN = ("dataset", "scenario", "quick", "seeds")


def _load(path: Path) -> dict:
    try:
        document = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise UserInputError(f"{path}: not a readable benchmark result ({error})") from None
    if not isinstance(document, dict) or not {*SAME_RUN, "methods", "config"} <= document.keys():
        raise UserInputError(f"{path}: not a `bench compat` result (no dataset, seeds or methods)")
    return document


def _old_old(document: dict) -> list[float]:
    method = next(iter(document["methods"].values()))
    return [round(run["matrix"]["old/old"][METRIC], 3) for run in method["per_seed"]]


def merge_runs(paths: list[Path]) -> dict:
    """One result with every method of every run; a method named in several runs must
    have the same figures in each (a rerun, not a different model under one name)."""
    if not paths:
        raise UserInputError("name at least one `bench compat` result")
    documents = [(path, _load(path)) for path in paths]
    first_path, first = documents[0]
    old_old = _old_old(first)
    merged = {key: first[key] for key in SAME_RUN} | {"methods": {}, "configs": {}, "sources": []}
    for path, document in documents:
        for key in SAME_RUN:
            if document[key] != first[key]:
                raise UserInputError(f"{path}: {key} {document[key]!r} differs from {first_path}'s {first[key]!r}")
        if _old_old(document) != old_old:
            raise UserInputError(f"{path}: old/old differs from {first_path}'s (another split or old model)")
        for name, method in document["methods"].items():
            known = merged["methods"].get(name)
            if known is not None and known["matrix"] != method["matrix"]:
                raise UserInputError(f"{path}: method {name} has other figures than in an earlier file")
            merged["methods"][name] = method
            merged["configs"][name] = document["config"]["methods"].get(name, {})
        merged["sources"].append(str(path))
    return merged


def compat_weight(config: dict) -> float | None:
    """λ of a method's compatibility loss (None: it has none); runs recorded before λ was
    configurable had 1."""
    return None if config.get("kind") == "independent" else float(config.get("lambda_bc", 1.0))


def _family(config: dict) -> str:
    return json.dumps({k: v for k, v in config.items() if k not in ("lambda_bc", "summary")}, sort_keys=True)


def lambda_curves(merged: dict) -> dict[str, list[str]]:
    """Methods that differ only in λ, in order of λ, named after the first of them."""
    groups: dict[str, list[str]] = {}
    for name, config in merged["configs"].items():
        if "new/new" in merged["methods"][name]["matrix"]:
            groups.setdefault(_family(config), []).append(name)
    curves = {}
    for names in groups.values():
        if len(names) > 1:
            names.sort(key=lambda n: compat_weight(merged["configs"][n]) or 0.0)
            curves[min(names, key=len)] = names
    return curves


def _point(run: dict) -> tuple[float, float]:
    return run["matrix"]["new/old"][METRIC], run["matrix"]["new/new"][METRIC]


def above_curve(curve: list[tuple[float, float]], point: tuple[float, float]) -> float | None:
    """New/new of ``point`` minus the curve's new/new at the same new/old (linear between
    the curve's points); None outside the new/old range the curve covers."""
    ordered = sorted(curve)
    new_old = [p[0] for p in ordered]
    if not new_old[0] <= point[0] <= new_old[-1]:
        return None
    return point[1] - float(np.interp(point[0], new_old, [p[1] for p in ordered]))


def trade_off(merged: dict) -> dict:
    """Per method: λ, mean new/old and new/new, and its distance above BCT's curve per seed."""
    curves = lambda_curves(merged)
    bct_curve = curves.get(BASELINE)
    if bct_curve is None:
        raise UserInputError(f"the runs hold no {BASELINE} at two or more λ (e.g. bct and bct-l0.5)")
    seeds = range(len(merged["seeds"]))
    per_seed_curve = [[_point(merged["methods"][n]["per_seed"][s]) for n in bct_curve] for s in seeds]
    rows = {}
    for name, method in merged["methods"].items():
        if "new/new" not in method["matrix"]:
            continue
        distances = [above_curve(per_seed_curve[s], _point(method["per_seed"][s])) for s in seeds]
        inside = [d for d in distances if d is not None]
        rows[name] = {
            "lambda": compat_weight(merged["configs"][name]),
            "new/old": round(method["matrix"]["new/old"][METRIC], 2),
            "new/new": round(method["matrix"]["new/new"][METRIC], 2),
            "above_bct_curve": {
                "mean": round(float(np.mean(inside)), 2) if inside else None,
                "std": round(float(np.std(inside)), 2) if inside else None,
                "seeds_inside": len(inside),
            },
        }
    return {"baseline": BASELINE, "curves": curves, "methods": rows}


def trade_off_markdown(merged: dict, result: dict) -> str:
    lines = [
        f"Trade-off, `{merged['dataset']}` / `{merged['scenario']}`, seeds {merged['seeds']}, mAP@100 "
        f"(from {', '.join(Path(s).name for s in merged['sources'])}).",
        "",
        "Above BCT's curve: new/new minus BCT's new/new at the same new/old, interpolated between BCT's λ "
        "points per seed, mean ± std over the seeds where the method's new/old lies within BCT's range.",
        "",
        "| method | λ | new/old | new/new | above BCT's curve | seeds inside |",
        "|---|---|---|---|---|---|",
    ]
    baseline = result["curves"][BASELINE]
    for name, row in result["methods"].items():
        above = row["above_bct_curve"]
        shown = f"{above['mean']:+.2f} ± {above['std']:.2f}" if above["mean"] is not None else "outside"
        shown = "(the curve)" if name in baseline else shown
        weight = "—" if row["lambda"] is None else f"{row['lambda']:g}"
        lines.append(
            f"| {name} | {weight} | {row['new/old']:.2f} | {row['new/new']:.2f} | {shown} | "
            f"{above['seeds_inside']}/{len(merged['seeds'])} |"
        )
    return "\n".join(lines) + "\n"

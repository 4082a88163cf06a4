"""An upgrade measured from paired embeddings alone ("bring your own models").

Chooses the forward adapter ψ (old to new) and the reverse adapter rho (new to old) from
a family of candidate maps on held-out ``train`` rows, chooses how each serving policy
merges the two parts of a gallery during a backfill on the same held-out rows, then
measures everything on the ``query``/``gallery`` rows, and says plainly when the new
model is the worse one. Every closed-form candidate is measured on those rows too, so
the report shows whether the chosen map lost to one it was chosen over.
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np

from upgradeflow.adapters.selection import FORWARD_LEARNED, REVERSE_LEARNED, ChosenAdapter, Report, choose_adapter
from upgradeflow.backfill.ordering import backfill_order
from upgradeflow.bench.pair_policies import (
    RESTS,
    SWAP_AT_END,
    Reference,
    Rows,
    choose_scales,
    evaluated_curves,
    held_out_depth,
    held_out_rows,
    recommended,
)
from upgradeflow.data.paired_embeddings import PairedPart
from upgradeflow.errors import UserInputError
from upgradeflow.evaluation.backfill_curve import CUTOFF, backfill_curve, summarise_curve
from upgradeflow.evaluation.matrix import evaluate_pairs
from upgradeflow.evaluation.metrics import shallow_metrics
from upgradeflow.evaluation.ranking import score_ranks
from upgradeflow.models.adapter import apply_adapter


def subsample(part: PairedPart, rows: int | None, seed: int) -> PairedPart:
    if rows is None or rows >= len(part.identities):
        return part
    if rows < 2:
        raise UserInputError(f"--train-rows {rows}: fitting a map needs at least two rows")
    keep = np.sort(np.random.default_rng(seed).choice(len(part.identities), rows, replace=False))
    return replace(part, old=part.old[keep], new=part.new[keep], identities=part.identities[keep])


def fit_pair_adapters(train: PairedPart, seed: int = 0, report: Report = lambda line: None, every_closed_form=False):
    """ψ and rho chosen from their candidate families on the train rows."""
    forward = choose_adapter(
        train.old, train.new, train.identities, FORWARD_LEARNED, seed, lambda line: report(f"ψ {line}"),
        every_closed_form,
    )  # fmt: skip
    reverse = choose_adapter(
        train.new, train.old, train.identities, REVERSE_LEARNED, seed, lambda line: report(f"rho {line}"),
        every_closed_form,
    )  # fmt: skip
    return forward, reverse


def _reference(train: PairedPart, forward: ChosenAdapter, reverse: ChosenAdapter) -> tuple[Reference, np.ndarray]:
    """The held-out train rows in every space, mapped by adapters that never saw them."""
    rows = forward.split.held_out
    old, new = train.old[rows], train.new[rows]
    evolved, rho = apply_adapter(forward.held_out_map, old), apply_adapter(reverse.held_out_map, new)
    return Reference.of(new, old, evolved, rho, train.identities[rows]), rho


def _adapter_summary(chosen: ChosenAdapter, closed_test: dict[str, dict], chosen_test: dict, pair: str) -> dict:
    """The chosen map and every candidate, held-out and on the evaluated rows; per metric,
    the margin of the chosen one over the best closed form there (what it must not lose)."""
    candidates = {name: {"held_out": {k: c[k] for k in ("map@100", "top1")}, "seconds": c["seconds"]}
                  for name, c in chosen.record.get("candidates", {}).items()}  # fmt: skip
    for name, figures in closed_test.items():
        candidates.setdefault(name, {})["test"] = figures
    candidates.setdefault(chosen.family, {})["test"] = chosen_test
    best = {m: max(closed_test, key=lambda n, m=m: closed_test[n][m]) for m in ("map@100", "top1")}
    margin = {m: round(chosen_test[m] - closed_test[best[m]][m], 3) for m in ("map@100", "top1")}
    summary = {k: v for k, v in chosen.record.items() if k != "candidates"}
    return summary | {"pair": pair, "candidates": candidates, "best_closed_form": best, "chosen_minus_best": margin}


def _test_figures(maps: dict, queries: np.ndarray, gallery: np.ndarray, query_ids, gallery_ids, forward: bool):
    """mAP@100 and top-1 of each candidate on the evaluated rows, ranked only as deep as
    they read (exact there, as the full ranking of the chosen map's matrix is)."""
    figures = {}
    for name, mapping in maps.items():
        mapped_queries, mapped_gallery = (queries, mapping(gallery)) if forward else (mapping(queries), gallery)
        ranks = score_ranks(mapped_queries @ mapped_gallery.T, query_ids, gallery_ids, depth=CUTOFF)
        figures[name] = {m: round(v, 3) for m, v in zip(("map@100", "top1"), shallow_metrics(ranks), strict=True)}
    return figures


def pairs_benchmark(
    parts: dict[str, PairedPart], train_rows: int | None = None, seed: int = 0, report: Report = lambda line: None
) -> dict:
    started = time.perf_counter()
    train = subsample(parts["train"], train_rows, seed)
    forward, reverse = fit_pair_adapters(train, seed, report, every_closed_form=True)
    fit_seconds = round(time.perf_counter() - started, 1)
    query, gallery = parts["query"], parts["gallery"]
    rows = Rows(
        query.new, query.old, apply_adapter(reverse.adapter, query.new), query.identities,
        gallery.new, gallery.old, apply_adapter(forward.adapter, gallery.old), gallery.identities,
    )  # fmt: skip
    queries = {"old": query.old, "new": query.new, "rho": rows.query_rho}
    galleries = {"old": gallery.old, "new": gallery.new, "evolved": rows.gallery_evolved}
    same_dimension = query.new.shape[1] == gallery.old.shape[1]
    pairs = ["old/old", *(["new/old"] if same_dimension else []), "rho/old", "new/evolved", "new/new"]
    matrix, correct = evaluate_pairs(queries, galleries, query.identities, gallery.identities, pairs)
    matrix["new/rho-merged"] = matrix.pop("rho/old")  # the merge with nothing backfilled yet

    adapters = {}
    for name, chosen, is_forward, pair in (
        ("forward", forward, True, "new/evolved"),
        ("reverse", reverse, False, "new/rho-merged"),
    ):
        closed = chosen.closed_forms
        test = _test_figures(closed, query.new, gallery.old, query.identities, gallery.identities, is_forward)
        mine = {m: round(matrix[pair][m], 3) for m in ("map@100", "top1")}
        adapters[name] = _adapter_summary(chosen, test, mine, pair)

    old_old, new_new = matrix["old/old"]["map@100"], matrix["new/new"]["map@100"]
    backfill = _backfill(train, forward, reverse, rows, correct["old/old"], (old_old, new_new), seed, report)
    return {
        "rows": {"train": len(train.identities), "query": len(query.identities), "gallery": len(gallery.identities)},
        "identities": _identity_counts(train, query, gallery),
        "dimensions": {"old": int(query.old.shape[1]), "new": int(query.new.shape[1])},
        "matrix": matrix,
        "adapters": adapters,
        **backfill,
        "seconds": {"adapters": fit_seconds, "total": round(time.perf_counter() - started, 1)},
        "new_model_worse": new_new < old_old,
        "verdict": (
            f"the new model is WORSE than the old one on these rows: new/new mAP@100 {new_new:.1f} "
            f"< old/old {old_old:.1f}; do not upgrade"
            if new_new < old_old
            else f"the new model improves mAP@100 from {old_old:.1f} (old/old) to {new_new:.1f} (new/new)"
        ),
    }


def _identity_counts(train: PairedPart, query: PairedPart, gallery: PairedPart) -> dict:
    tested = np.union1d(query.identities, gallery.identities)
    _, train_counts = np.unique(train.identities, return_counts=True)
    return {
        "train": len(train_counts),
        "train_rows_per_identity": {"min": int(train_counts.min()), "max": int(train_counts.max())},
        "query": len(np.unique(query.identities)),
        "gallery": len(np.unique(gallery.identities)),
        "shared_by_train_and_test": int(np.isin(tested, train.identities).sum()),
    }


def _backfill(train, forward, reverse, rows: Rows, old_correct, bounds, seed: int, report: Report) -> dict:
    """Serving policies chosen on held-out rows and measured on the evaluated ones, plus
    the diagnostic curves no serving path uses."""
    notes = []
    if forward.split is None:
        return {"policies": {}, "recommended_policy": None, "diagnostics": {},
                "notes": ["too few training rows to hold any out: no serving policy could be chosen"]}  # fmt: skip
    reference, held_rho = _reference(train, forward, reverse)
    held = held_out_rows(
        reference.new, reference.old, reference.evolved, held_rho, train.identities[forward.split.held_out]
    )
    if held is None:
        notes.append(
            "no held-out identity has two rows: no policy could be checked before serving, so only the old "
            "system until the swap is recommended"
        )
        unchecked = {"scale": "raw", "servable": False, "held_out": {}}
        policies = {
            f"{r}-{o}": {"rest": r, "order": o, **unchecked} for r in RESTS for o in ("random", "residual-first")
        }
        policies[SWAP_AT_END] = {"rest": "old", "order": None, **unchecked, "servable": True}
        choice = {"policies": policies, "skipped_orders": {}}
    else:
        depth = held_out_depth(len(held.gallery_identities), len(rows.gallery_identities))
        choice = choose_scales(held, reference, seed, depth)
    measured = evaluated_curves(rows, reference, choice, seed)
    notes += [f"{order}: {why}" for order, why in measured["skipped_orders"].items()]
    best = recommended(choice, measured["curves"])
    report(f"recommended serving policy: {best}")
    return {
        "policies": measured["curves"],
        "held_out_depth": choice.get("held_out_depth"),
        "recommended_policy": best,
        "diagnostics": _diagnostics(rows, old_correct, bounds, seed),
        "notes": notes,
    }


def _diagnostics(rows: Rows, old_correct, bounds, seed: int) -> dict:
    """Curves that no serving path takes, kept to show what calibration and adapters buy:
    the new query on raw old features (same dimensions only) and the merge that runs the
    old model on every query too."""
    order = backfill_order("random", len(rows.gallery_identities), seed=seed)
    settings = {"merge-old-query": (rows.query_old, rows.gallery_old)}
    if rows.query_new.shape[1] == rows.gallery_old.shape[1]:
        settings["naive"] = (rows.query_new, rows.gallery_old)
    out = {}
    for name, (rest_queries, rest_gallery) in settings.items():
        curve = backfill_curve(
            rows.query_new, rest_queries, rows.gallery_new, rest_gallery, rows.query_identities,
            rows.gallery_identities, order, old_correct, products=(rows.product("new"), None),
        )  # fmt: skip
        out[name] = curve | summarise_curve(curve, *bounds)
    return out

"""Backfill curves for one trained method: how retrieval evolves while the gallery is
re-extracted, for every way of searching a part-old gallery the project offers.

Curves (each rest part merged with the backfilled part by similarity):
- ``naive``: the new query against old features as they are (no merge, no transform);
- ``merge-old-query``: the old part searched with the old model's query;
- ``merge-rho``: ... with rho(φ_n(q)), rho regressed onto old features;
- ``merge-rho-metric``: ... with the metric-compatible rho (``-orthogonal``: linear rho kept
  near-orthonormal);
- ``evolved``: the new query against the evolved gallery (DMU's forward adapter);
and ordering variants (``-worst-first``, ``-residual-first``) against a random order.
"""

from __future__ import annotations

import time

import numpy as np

from upgradeflow.backfill.ordering import backfill_order
from upgradeflow.backfill.reverse_adapter import ReverseConfig, fit_reverse_adapter
from upgradeflow.evaluation.backfill_curve import backfill_curve, summarise_curve
from upgradeflow.models.adapter import apply_adapter

PRIMARY = "evolved-worst-first"  # what the pipeline does: evolve, then backfill worst first


def reverse_adapters(new_train: np.ndarray, old_train: np.ndarray, identities: np.ndarray, seed: int) -> dict:
    """The three rho variants, fitted on the training images only, and their fit times."""
    variants = {
        "rho": ReverseConfig(loss="cosine", seed=seed),
        "rho-metric": ReverseConfig(seed=seed),
        "rho-metric-orthogonal": ReverseConfig(orthogonality=1.0, seed=seed),
    }
    fitted, seconds = {}, {}
    for name, config in variants.items():
        started = time.perf_counter()
        fitted[name] = fit_reverse_adapter(new_train, old_train, identities, config)
        seconds[name] = round(time.perf_counter() - started, 1)
    return {"adapters": fitted, "seconds": seconds}


def method_backfill(
    query: dict[str, np.ndarray],
    gallery: dict[str, np.ndarray],
    query_labels: np.ndarray,
    gallery_labels: np.ndarray,
    old_correct: np.ndarray,
    rho: dict,
    matrix: dict[str, dict],
    seed: int,
) -> dict:
    """Every curve and its summary for one seed. ``query``/``gallery`` hold old, new and
    evolved embeddings; ``rho`` is what ``reverse_adapters`` fitted."""
    reversed_queries = {name: apply_adapter(a, query["new"]) for name, a in rho["adapters"].items()}
    count = len(gallery_labels)
    orders = {
        "": backfill_order("random", count, seed=seed),
        "-worst-first": backfill_order("worst-first", count, old_features=gallery["old"], identities=gallery_labels),
    }
    settings: dict[str, tuple[np.ndarray, np.ndarray, str]] = {
        "merge-old-query": (query["old"], gallery["old"], ""),
        **{f"merge-{name}": (q, gallery["old"], "") for name, q in reversed_queries.items()},
        "merge-rho-metric-worst-first": (reversed_queries["rho-metric"], gallery["old"], "-worst-first"),
        "evolved": (query["new"], gallery["evolved"], ""),
        "evolved-worst-first": (query["new"], gallery["evolved"], "-worst-first"),
    }
    if gallery["old"].shape[1] == query["new"].shape[1]:
        settings["naive"] = (query["new"], gallery["old"], "")
        distance = 1 - (gallery["evolved"] * gallery["old"]).sum(1)
        orders["-residual-first"] = backfill_order("residual-first", count, residuals=distance)
        settings["evolved-residual-first"] = (query["new"], gallery["evolved"], "-residual-first")
    old_old, new_new = matrix["old/old"]["map@100"], matrix["new/new"]["map@100"]
    curves = {}
    for name, (rest_queries, rest_gallery, order) in sorted(settings.items()):
        curve = backfill_curve(
            query["new"], rest_queries, gallery["new"], rest_gallery, query_labels, gallery_labels,
            orders[order], old_correct,
        )  # fmt: skip
        curves[name] = curve | summarise_curve(curve, old_old, new_new)
    return {"curves": curves, "reverse_fit_seconds": rho["seconds"]}


def summarise_backfill(runs: list[dict]) -> dict:
    """Mean curves over seeds, with each summary's mean and spread."""
    out: dict[str, dict] = {}
    for name in runs[0]["curves"]:
        curves = [r["curves"][name] for r in runs]
        entry: dict = {"fractions": curves[0]["fractions"]}
        for key in ("map@100", "top1", "negative_flip_rate"):
            values = np.array([c[key] for c in curves], dtype=float)
            entry[key] = np.round(values.mean(0), 3).tolist()
            if key == "map@100":
                entry["map@100_std"] = np.round(values.std(0), 3).tolist()
        for key in ("auc", "normalised_auc", "largest_drop", "fraction_to_95pct"):
            values = [c[key] for c in curves]
            known = [v for v in values if v is not None]
            entry[key] = round(float(np.mean(known)), 4) if len(known) == len(values) else None
            entry[f"{key}_per_seed"] = values
        out[name] = entry
    return out

"""An upgrade measured from paired embeddings alone ("bring your own models").

Fits the forward adapter ψ (old to new) and the metric-compatible reverse adapter rho
(new to old) on the ``train`` rows, then measures the matrix and the backfill curves on
the ``query``/``gallery`` rows, and says plainly when the new model is the worse one.
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np

from upgradeflow.backfill.reverse_adapter import apply_adapter
from upgradeflow.bench.backfill import method_backfill, reverse_adapters, summarise_backfill
from upgradeflow.compat.forward_adapter import fit_forward_adapter
from upgradeflow.data.paired_embeddings import PairedPart
from upgradeflow.errors import UserInputError
from upgradeflow.evaluation.matrix import evaluate_pairs
from upgradeflow.models.adapter import AdapterConfig, MLPAdapter


def subsample(part: PairedPart, rows: int | None, seed: int) -> PairedPart:
    if rows is None or rows >= len(part.identities):
        return part
    keep = np.sort(np.random.default_rng(seed).choice(len(part.identities), rows, replace=False))
    kept = len(np.unique(part.identities[keep]))
    if kept < 2:  # the same floor read_pairs applies to the whole train part
        raise UserInputError(f"--train-rows {rows} keeps {kept} identity; adapters need at least two")
    return replace(part, old=part.old[keep], new=part.new[keep], identities=part.identities[keep])


def fit_forward(train: PairedPart, seed: int = 0) -> tuple[MLPAdapter, float]:
    """psi (old to new) and its mean cosine distance on the training pairs."""
    config = AdapterConfig(train.old.shape[1], 256, train.new.shape[1], 2, residual=True)
    return fit_forward_adapter(train.old, train.new, config, seed=seed)


def fit_pair_adapters(train: PairedPart, seed: int = 0) -> tuple[MLPAdapter, dict, dict]:
    """psi, the rho variants, and the seconds each took."""
    started = time.perf_counter()
    forward, _ = fit_forward(train, seed)
    forward_seconds = round(time.perf_counter() - started, 1)
    rho = reverse_adapters(train.new, train.old, train.identities, seed)
    return forward, rho, {"forward": forward_seconds, **{f"reverse-{k}": v for k, v in rho["seconds"].items()}}


def pairs_benchmark(parts: dict[str, PairedPart], train_rows: int | None = None, seed: int = 0) -> dict:
    train = subsample(parts["train"], train_rows, seed)
    forward, rho, seconds = fit_pair_adapters(train, seed)
    query, gallery = parts["query"], parts["gallery"]
    queries = {"old": query.old, "new": query.new, "rho": apply_adapter(rho["adapters"]["rho-metric"], query.new)}
    galleries = {"old": gallery.old, "new": gallery.new, "evolved": apply_adapter(forward, gallery.old)}
    same_dimension = query.new.shape[1] == gallery.old.shape[1]
    pairs = ["old/old", *(["new/old"] if same_dimension else []), "rho/old", "new/evolved", "new/new"]
    matrix, correct = evaluate_pairs(queries, galleries, query.identities, gallery.identities, pairs)
    matrix["new/rho-merged"] = matrix.pop("rho/old")  # the merge with nothing backfilled yet
    backfill = method_backfill(
        queries, galleries, query.identities, gallery.identities, correct["old/old"], rho, matrix, seed
    )
    old_old, new_new = matrix["old/old"]["map@100"], matrix["new/new"]["map@100"]
    return {
        "rows": {"train": len(train.identities), "query": len(query.identities), "gallery": len(gallery.identities)},
        "dimensions": {"old": int(query.old.shape[1]), "new": int(query.new.shape[1])},
        "matrix": matrix,
        "adapter_seconds": seconds,
        "backfill_curves": summarise_backfill([backfill]),
        "new_model_worse": new_new < old_old,
        "verdict": (
            f"the new model is WORSE than the old one on these rows: new/new mAP@100 {new_new:.1f} "
            f"< old/old {old_old:.1f}; do not upgrade"
            if new_new < old_old
            else f"the new model improves mAP@100 from {old_old:.1f} (old/old) to {new_new:.1f} (new/new)"
        ),
    }

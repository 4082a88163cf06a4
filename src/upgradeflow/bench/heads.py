"""Compatible heads on real pretrained encoders: what each method costs and buys.

The old encoder is frozen and its gallery is what must stay searchable; the new model is
the new pretrained backbone plus a head trained on its cached features by each method.
Per seed, on the data's held-out identities: new/old (the head's queries against the old
gallery, what a service answers before any backfill), new/evolved (against the old
gallery mapped by ψ) and new/new (after a full backfill); plus old/old and the raw
backbone's own new/new as references. Each compatible method's new/new is compared with
the independent head's: the price of compatibility.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from upgradeflow.adapters.closed_form import PairStatistics, ridge_maps
from upgradeflow.adapters.selection import DEFAULT_RIDGE
from upgradeflow.data.items import ItemSet
from upgradeflow.encoders.base import Encoder
from upgradeflow.encoders.features import encoded_features
from upgradeflow.evaluation.matrix import evaluate_pairs
from upgradeflow.evaluation.summary import METRICS, mean_and_std
from upgradeflow.methods.heads import HeadConfig, train_head
from upgradeflow.methods.registry import Method
from upgradeflow.models.adapter import apply_adapter
from upgradeflow.store.object_store import ObjectStore
from upgradeflow.training.loop import TrainConfig

HEAD_PAIRS = ("new/old", "new/evolved", "new/new")
# old/old: the service today; backbone/backbone: the new backbone's raw features, no head;
# imitation/old: the least-squares map from them onto the old embeddings, fitted on the
# training rows, the plainest head that only tries to be the old encoder.
REFERENCE_PAIRS = ("old/old", "backbone/backbone", "imitation/old")
DEFAULT_HEAD = HeadConfig()


def _figures(matrix: dict) -> dict:
    return {pair: {m: round(matrix[pair][m], 3) for m in METRICS} for pair in matrix}


def heads_benchmark(
    old: Encoder,
    new: Encoder,
    items: ItemSet,
    store: ObjectStore,
    methods: list[Method],
    seeds: list[int],
    config: TrainConfig,
    head_config: HeadConfig = DEFAULT_HEAD,
    progress: bool = True,
) -> dict:
    identities = items.require_identities("training a head and evaluating it")
    old_features = encoded_features(old, items, store)
    new_features = encoded_features(new, items, store)
    train, query, gallery = (items.role == role for role in ("train", "query", "gallery"))
    imitation = ridge_maps(PairStatistics.of(new_features.vectors[train], old_features.vectors[train]),
                           (DEFAULT_RIDGE,))[DEFAULT_RIDGE]  # fmt: skip
    reference, _ = evaluate_pairs(
        {"old": old_features.vectors[query], "backbone": new_features.vectors[query],
         "imitation": imitation(new_features.vectors[query])},
        {"old": old_features.vectors[gallery], "backbone": new_features.vectors[gallery]},
        identities[query], identities[gallery], list(REFERENCE_PAIRS),
    )  # fmt: skip
    runs: dict[str, list[dict]] = {}
    for method in methods:
        for seed in seeds:
            trained = train_head(
                method, new_features.vectors[train], old_features.vectors[train], identities[train],
                replace(config, seed=seed), head_config, progress, f"{method.name} seed {seed}",
            )  # fmt: skip
            head_query = apply_adapter(trained.head, new_features.vectors[query])
            galleries = {
                "old": old_features.vectors[gallery],
                "evolved": apply_adapter(trained.adapter, old_features.vectors[gallery]),
                "new": apply_adapter(trained.head, new_features.vectors[gallery]),
            }
            matrix, _ = evaluate_pairs({"new": head_query}, galleries, identities[query], identities[gallery],
                                       list(HEAD_PAIRS))  # fmt: skip
            runs.setdefault(method.name, []).append({
                "seed": seed, "matrix": _figures(matrix), "seconds": round(trained.seconds, 1),
                "adapter": trained.adapter_source, "adapter_distance": round(trained.adapter_distance, 4),
                **trained.details,
            })  # fmt: skip
    rows = {"train": int(train.sum()), "query": int(query.sum()), "gallery": int(gallery.sum())}
    data = {
        "location": items.location,
        "fingerprint": items.fingerprint,
        "rows": rows,
        "train_identities": len(np.unique(identities[train])),
    }
    features = {
        name: {"key": f.key, "reused_rows": f.reused_rows, "seconds": f.seconds}
        for name, f in (("old", old_features), ("new", new_features))
    }
    summaries = {name: _summary(per_seed) for name, per_seed in runs.items()}
    return {
        "encoders": {"old": old.describe(), "new": new.describe()},
        "data": data,
        "features": features,
        "config": {"train": config.__dict__, "head": head_config.__dict__},
        "seeds": seeds,
        "reference": _figures(reference),
        "methods": summaries,
        "verdict": verdict(_figures(reference), summaries),
    }


def _summary(per_seed: list[dict]) -> dict:
    mean, std = mean_and_std([run["matrix"] for run in per_seed])
    seconds = [run["seconds"] for run in per_seed]
    return {"mean": mean, "std": std, "seconds": round(float(np.mean(seconds)), 1), "runs": per_seed}


def verdict(reference: dict, methods: dict) -> dict:
    """Which methods make new/old beat old/old on mAP@100, by how much, and each
    compatible method's new/new against the independent head's."""
    old_old = reference["old/old"]["map@100"]
    gains = {name: round(m["mean"]["new/old"]["map@100"] - old_old, 2) for name, m in methods.items()}
    independent = methods.get("independent")
    cost = {}
    if independent is not None:
        baseline = independent["mean"]["new/new"]["map@100"]
        cost = {
            name: round(m["mean"]["new/new"]["map@100"] - baseline, 2)
            for name, m in methods.items()
            if name != "independent"
        }
    beating = sorted((name for name, gain in gains.items() if gain > 0), key=lambda n: -gains[n])
    return {"new_old_minus_old_old": gains, "new_new_minus_independent": cost, "beats_old_old": beating}

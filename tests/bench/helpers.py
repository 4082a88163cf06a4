"""Paired embeddings and `bench compat` result files for the benchmark and command-line tests."""

from __future__ import annotations

import json

import numpy as np

from upgradeflow.data.paired_embeddings import PairedPart


def synthetic_parts(new_noise=0.2, old_noise=0.8, old_dim=16, seed=0, identities=80, per_identity=8):
    """Two unrelated spaces over the same identities: the situation of two fixed models
    trained apart (raw new/old is meaningless)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(identities, 24))
    old_map, new_map = rng.normal(size=(24, old_dim)), rng.normal(size=(24, 32))
    parts = {}
    for role, ids in (("train", np.arange(0, 50)), ("query", np.arange(50, 80)), ("gallery", np.arange(50, 80))):
        count = 1 if role == "query" else per_identity
        labels = np.repeat(ids, count)
        base = centres[labels]
        old = base @ old_map + old_noise * 4 * rng.normal(size=(len(labels), old_dim))
        new = base @ new_map + new_noise * 4 * rng.normal(size=(len(labels), 32))
        parts[role] = PairedPart(old.astype(np.float32), new.astype(np.float32), labels)
    return parts


def text_shaped_parts(seed=0):
    """Sentence and paraphrase: two train rows per identity, one query and one gallery
    row per evaluated identity, the shape that leave-one-out prototypes cannot handle."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(400, 24))
    old_map, new_map = rng.normal(size=(24, 16)), rng.normal(size=(24, 24))

    def part(labels):
        base = centres[labels] + 0.3 * rng.normal(size=(len(labels), 24))
        old = base @ old_map + 0.5 * rng.normal(size=(len(labels), 16))
        return PairedPart(old.astype(np.float32), (base @ new_map).astype(np.float32), labels)

    tested = np.arange(300, 400)
    return {"train": part(np.repeat(np.arange(300), 2)), "query": part(tested), "gallery": part(tested)}


DMU = {"kind": "dmu", "weighting": "margin", "adapter": True}


def matrix(new_old: float, new_new: float, old_old: float = 8.7) -> dict:
    return {
        "old/old": {"map@100": old_old},
        "new/old": {"map@100": new_old},
        "new/new": {"map@100": new_new},
    }


def run_file(tmp_path, name: str, methods: dict[str, tuple[dict, list[tuple[float, float]]]], old_old=8.7):
    """A `bench compat` result with the given (config, per-seed (new/old, new/new)) per method."""
    seeds = len(next(iter(methods.values()))[1])
    document = {
        "dataset": "glyphs",
        "scenario": "hard",
        "quick": False,
        "seeds": list(range(seeds)),
        "config": {"methods": {}},
        "methods": {},
    }
    for method, (config, points) in methods.items():
        per_seed = [{"matrix": matrix(*p, old_old=old_old)} for p in points]
        mean = (sum(p[0] for p in points) / seeds, sum(p[1] for p in points) / seeds)
        document["methods"][method] = {"matrix": matrix(*mean, old_old=old_old), "per_seed": per_seed}
        document["config"]["methods"][method] = config
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(document))
    return path


def bct(weight: float | None = None) -> dict:
    return {"kind": "bct"} | ({} if weight is None else {"lambda_bc": weight})

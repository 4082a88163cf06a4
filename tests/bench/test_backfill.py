"""Backfill curves for one trained method: every way of searching a part-old gallery,
each running from the old system to the finished upgrade."""

from __future__ import annotations

import numpy as np
import pytest

from upgradeflow.bench.backfill import method_backfill, reverse_adapters, summarise_backfill
from upgradeflow.evaluation.metrics import retrieval_metrics, top1_correct
from upgradeflow.evaluation.ranking import positive_ranks

MERGES = {"merge-old-query", "merge-rho", "merge-rho-metric", "merge-rho-metric-orthogonal"}
EVERY_DIMENSION = MERGES | {"merge-rho-metric-worst-first", "evolved", "evolved-worst-first"}


def unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def spaces(old_dim: int, seed: int = 0) -> dict:
    """Train, query and gallery rows of 20 identities in an old space of ``old_dim`` and
    a sharper 8-d new one, the gallery also evolved (new plus noise)."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((20, 8))
    to_old = rng.standard_normal((8, old_dim))

    def part(labels: np.ndarray) -> dict:
        base = centres[labels]
        new = unit(base + 0.3 * rng.standard_normal(base.shape))
        return {
            "labels": labels,
            "old": unit(base @ to_old + 1.5 * rng.standard_normal((len(labels), old_dim))),
            "new": new,
            "evolved": unit(new + 0.5 * rng.standard_normal(new.shape)),
        }

    return {
        "train": part(np.repeat(np.arange(20), 5)),
        "query": part(np.arange(20)),
        "gallery": part(np.repeat(np.arange(20), 4)),
    }


def curves(old_dim: int) -> tuple[dict, dict]:
    data = spaces(old_dim)
    train, query, gallery = data["train"], data["query"], data["gallery"]
    labels = (query["labels"], gallery["labels"])

    def search(q: str, g: str) -> float:
        return retrieval_metrics(query[q], labels[0], gallery[g], labels[1]).map_at_100

    matrix = {"old/old": {"map@100": search("old", "old")}, "new/new": {"map@100": search("new", "new")}}
    old_correct = top1_correct(positive_ranks(query["old"], labels[0], gallery["old"], labels[1]))
    rho = reverse_adapters(train["new"], train["old"], train["labels"], seed=0)
    return method_backfill(query, gallery, *labels, old_correct, rho, matrix, seed=0), matrix


@pytest.fixture(scope="module")
def same_dimension() -> tuple[dict, dict]:
    return curves(old_dim=8)


def test_every_curve_runs_from_its_rest_search_to_new_new(same_dimension):
    run, matrix = same_dimension
    assert set(run["curves"]) == EVERY_DIMENSION | {"naive", "evolved-residual-first"}
    assert set(run["reverse_fit_seconds"]) == {"rho", "rho-metric", "rho-metric-orthogonal"}
    new_new = round(matrix["new/new"]["map@100"], 3)
    for name, curve in run["curves"].items():
        assert curve["fractions"][-1] == 1.0 and curve["map@100"][-1] == pytest.approx(new_new, abs=1e-3), name
        assert {"auc", "normalised_auc", "largest_drop", "fraction_to_95pct"} <= set(curve), name
    start = run["curves"]["merge-old-query"]["map@100"][0]
    assert start == pytest.approx(matrix["old/old"]["map@100"], abs=1e-3)  # nothing backfilled: the old system
    assert run["curves"]["merge-old-query"]["negative_flip_rate"][0] == 0.0


def test_spaces_of_two_dimensions_leave_out_what_needs_one():
    """Raw new-against-old search and the residual ordering compare an old feature with
    a new one directly: without a shared dimension they are left out, not faked."""
    run, _ = curves(old_dim=6)
    assert set(run["curves"]) == EVERY_DIMENSION


def summary(map100: list[float], auc: float, reach: float | None) -> dict:
    return {
        "fractions": [0.0, 1.0],
        "map@100": map100,
        "top1": [50.0, 70.0],
        "negative_flip_rate": [0.0, 1.0],
        "auc": auc,
        "normalised_auc": 0.5,
        "largest_drop": 0.0,
        "fraction_to_95pct": reach,
    }


def test_seeds_are_averaged_and_an_unknown_summary_stays_unknown():
    runs = [
        {"curves": {"evolved": summary([10.0, 30.0], 20.0, 0.5)}},
        {"curves": {"evolved": summary([20.0, 40.0], 30.0, None)}},
    ]
    entry = summarise_backfill(runs)["evolved"]
    assert entry["map@100"] == [15.0, 35.0] and entry["map@100_std"] == [5.0, 5.0]
    assert entry["auc"] == 25.0 and entry["auc_per_seed"] == [20.0, 30.0]
    assert entry["fraction_to_95pct"] is None  # one seed never got there: no mean of the other
    assert entry["fraction_to_95pct_per_seed"] == [0.5, None]

import numpy as np

from upgradeflow.methods.forward_adapter import fit_forward_adapter, mean_distance
from upgradeflow.models.adapter import AdapterConfig

CONFIG = AdapterConfig(in_dim=8, hidden_dim=32, out_dim=8, depth=2, residual=True)


def paired(rows: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Old embeddings and a non-linear new space built from them."""
    rng = np.random.default_rng(seed)
    old = rng.normal(size=(rows, 8)).astype(np.float32)
    new = np.tanh(old @ rng.normal(size=(8, 8))).astype(np.float32)
    normalise = lambda x: x / np.linalg.norm(x, axis=1, keepdims=True)  # noqa: E731
    return normalise(old), normalise(new)


def test_refining_continues_from_the_given_adapter():
    old, new = paired(2000)
    first, first_distance = fit_forward_adapter(old, new, CONFIG, epochs=2, seed=0)
    start = mean_distance(first, old, new)
    refined, refined_distance = fit_forward_adapter(old, new, CONFIG, epochs=10, seed=1, initial=first)
    assert refined is first  # trained further in place, not replaced
    assert refined_distance < start - 0.005
    assert abs(first_distance - start) < 1e-6


def test_row_weights_decide_which_pairs_are_fitted():
    old, new = paired(2000)
    conflicting = new.copy()
    conflicting[1000:] = -conflicting[1000:]  # the second half asks for the opposite map
    heavy_first = np.r_[np.ones(1000), np.full(1000, 1e-3)].astype(np.float32)
    first = {}
    for name, weights in (("first heavy", heavy_first), ("second heavy", heavy_first[::-1].copy())):
        adapter, _ = fit_forward_adapter(old, conflicting, CONFIG, epochs=15, seed=0, row_weights=weights)
        first[name] = mean_distance(adapter, old[:1000], new[:1000])
    assert first["first heavy"] < 0.7 < 1.2 < first["second heavy"], first

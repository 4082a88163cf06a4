"""Closed-form maps recover the maps they are meant to recover, centred."""

from __future__ import annotations

import numpy as np
import pytest

from upgradeflow.adapters.closed_form import PairStatistics, procrustes_map, ridge_maps, soft_orthogonal_map
from upgradeflow.adapters.selection import affine_adapter
from upgradeflow.errors import UserInputError
from upgradeflow.models.adapter import apply_adapter


def rotation(d_in: int, d_out: int, seed: int = 0) -> np.ndarray:
    """A [d_in, d_out] matrix with orthonormal rows (d_in <= d_out) or columns."""
    q, _ = np.linalg.qr(np.random.default_rng(seed).standard_normal((max(d_in, d_out), max(d_in, d_out))))
    return q[:d_in, :d_out]


def source(rows: int = 500, dim: int = 12, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((rows, dim)).astype(np.float32) + 0.5


@pytest.mark.parametrize(("d_in", "d_out"), [(12, 12), (12, 20), (20, 12)])
def test_procrustes_recovers_a_rotation_and_an_offset_between_any_dimensions(d_in, d_out):
    x = source(dim=d_in)
    r = rotation(d_in, d_out)
    if d_in > d_out:  # only the part of x that survives the projection can be recovered
        x = x @ r @ r.T
    y = 0.7 * x @ r + 3.0
    mapping = procrustes_map(PairStatistics.of(x, y))
    np.testing.assert_allclose(x @ mapping.weight + mapping.bias, y, atol=2e-3)


def test_ridge_at_a_small_strength_is_least_squares():
    x = source()
    w = np.random.default_rng(2).standard_normal((12, 6))
    y = x @ w - 1.0
    weak, strong = ridge_maps(PairStatistics.of(x, y), (1e-6, 10.0)).values()
    np.testing.assert_allclose(x @ weak.weight + weak.bias, y, atol=1e-3)
    assert np.abs(strong.weight).sum() < np.abs(weak.weight).sum()  # strength shrinks the map


def test_the_soft_orthogonal_map_trades_fit_for_orthogonality():
    x = source()
    y = x @ np.diag(np.linspace(0.2, 2.0, 12))  # a stretch: least squares is far from orthogonal
    stats = PairStatistics.of(x, y)
    start = procrustes_map(stats)
    loose, tight = (soft_orthogonal_map(stats, start, weight=w) for w in (1e-4, 100.0))
    gram_gap = [np.linalg.norm(m.weight.T @ m.weight - np.eye(12)) for m in (loose, tight)]
    fit = [np.linalg.norm(x @ m.weight + m.bias - y) for m in (loose, tight)]
    assert gram_gap[1] < gram_gap[0] and fit[0] < fit[1]


def test_an_affine_map_saves_as_a_one_layer_adapter_with_the_same_outputs():
    x = source()
    mapping = ridge_maps(PairStatistics.of(x, x @ rotation(12, 12) + 1.0), (1e-3,))[1e-3]
    adapter = affine_adapter(mapping)
    assert adapter.config.depth == 1
    np.testing.assert_allclose(apply_adapter(adapter, x), mapping(x), atol=1e-5)


def test_one_pair_is_not_enough():
    with pytest.raises(UserInputError, match="at least two paired rows"):
        PairStatistics.of(source(rows=1), source(rows=1))


@pytest.mark.parametrize("shape", [(6, 9), (9, 6)])
def test_the_soft_orthogonal_gradient_is_the_objectives_own(shape):
    import torch

    from upgradeflow.adapters.closed_form import _objective

    torch.manual_seed(0)
    weight = torch.randn(*shape, dtype=torch.float64, requires_grad=True)
    spread = torch.randn(shape[0], shape[0], dtype=torch.float64)
    covariance, cross = spread @ spread.T, torch.randn(*shape, dtype=torch.float64)
    value, gradient = _objective(weight.detach(), covariance, cross, 0.3)
    gram = weight @ weight.T if shape[0] <= shape[1] else weight.T @ weight
    eye = torch.eye(len(gram), dtype=torch.float64)
    expected = (weight * (covariance @ weight)).sum() - 2 * (weight * cross).sum()
    expected = expected + 0.3 * (gram - eye).pow(2).sum() / len(gram)
    expected.backward()
    assert abs(float(value) - float(expected.detach())) < 1e-9
    torch.testing.assert_close(gradient, weight.grad)

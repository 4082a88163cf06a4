"""Closed-form affine maps from one embedding space to another.

All maps are centred: each space's mean is removed before the linear part is fitted and
the target mean added back as a bias. Embedding spaces are rarely centred (a trained
model's features share a common direction), and an uncentred fit spends its capacity on
that offset; centring before Procrustes is what made it competitive in published
comparisons.

The heavy work is two dxd products and one eigendecomposition, shared by every
candidate through ``PairStatistics``: a whole ridge path then costs one extra product
per strength.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from upgradeflow.errors import UserInputError

RIDGE_STRENGTHS = (1e-3, 1e-2, 1e-1, 1.0)  # times the mean eigenvalue of the source covariance
ORTHOGONALITY_WEIGHT = 0.1  # λ of the soft-orthogonal map, per dimension of the Gram matrix
SOFT_ORTHOGONAL_ITERATIONS = 15  # within 0.3 points of converged on the real cases; each costs ~4 dxd products


@dataclass(frozen=True)
class AffineMap:
    """``y = x @ weight + bias``; the adapter L2-normalises the result."""

    weight: np.ndarray  # float32 [d_in, d_out]
    bias: np.ndarray  # float32 [d_out]

    def __call__(self, x: np.ndarray) -> np.ndarray:
        out = np.asarray(x, dtype=np.float32) @ self.weight + self.bias
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)


@dataclass(frozen=True)
class PairStatistics:
    """Means and centred second moments of paired rows (source x, target y), per row."""

    source_mean: np.ndarray  # [d_in]
    target_mean: np.ndarray  # [d_out]
    source_covariance: np.ndarray  # float64 [d_in, d_in]
    cross_covariance: np.ndarray  # float64 [d_in, d_out]
    rows: int

    @classmethod
    def of(cls, source: np.ndarray, target: np.ndarray) -> PairStatistics:
        if len(source) != len(target):
            raise UserInputError(f"paired rows differ in number: {len(source)} and {len(target)}")
        if len(source) < 2:
            raise UserInputError(f"a map needs at least two paired rows, got {len(source)}")
        x = torch.from_numpy(np.ascontiguousarray(source, dtype=np.float32))
        y = torch.from_numpy(np.ascontiguousarray(target, dtype=np.float32))
        x_mean, y_mean = x.mean(0), y.mean(0)
        xc = x - x_mean
        rows = len(source)
        return cls(
            source_mean=x_mean.numpy(),
            target_mean=y_mean.numpy(),
            source_covariance=(xc.T @ xc).double().numpy() / rows,
            cross_covariance=(xc.T @ (y - y_mean)).double().numpy() / rows,
            rows=rows,
        )

    def affine(self, weight: np.ndarray) -> AffineMap:
        """The map with this linear part whose bias carries the source mean onto the target mean."""
        weight = np.asarray(weight, dtype=np.float64)
        bias = self.target_mean.astype(np.float64) - self.source_mean.astype(np.float64) @ weight
        return AffineMap(weight.astype(np.float32), bias.astype(np.float32))


def ridge_maps(stats: PairStatistics, strengths: tuple[float, ...] = RIDGE_STRENGTHS) -> dict[float, AffineMap]:
    """Centred ridge least squares at each strength (relative to the mean eigenvalue of
    the source covariance, so one grid fits every scale of embedding)."""
    eigenvalues, vectors = np.linalg.eigh(stats.source_covariance)
    eigenvalues = np.maximum(eigenvalues, 0.0)
    projected = vectors.T @ stats.cross_covariance
    scale = max(float(eigenvalues.mean()), 1e-12)
    return {
        strength: stats.affine(vectors @ (projected / (eigenvalues + strength * scale)[:, None]))
        for strength in strengths
    }


def procrustes_map(stats: PairStatistics) -> AffineMap:
    """Centred, scaled orthogonal Procrustes. Between spaces of different dimensions the
    rotation is semi-orthogonal (the smaller space zero-padded), and the scale is the
    least-squares one, so the bias keeps its weight after normalisation."""
    left, singular, right = torch.linalg.svd(torch.from_numpy(stats.cross_covariance).float(), full_matrices=False)
    rotation = (left @ right).double().numpy()
    spread = float(np.trace(stats.source_covariance))
    scale = float(singular.double().sum()) / spread if spread > 0 else 1.0
    return stats.affine(scale * rotation)


def _objective(linear: torch.Tensor, covariance: torch.Tensor, cross: torch.Tensor, weight: float):
    """Value and gradient of tr(WᵀCW) - 2 tr(WᵀB) + λ ‖G - I‖² / len(G), G the smaller
    Gram matrix (orthonormal rows or columns, whichever the shape allows; per dimension,
    so one λ means the same at 128-d and 1280-d). Written out rather than left to
    autograd: three dxd products per evaluation instead of about six."""
    rows_gram = linear.shape[0] <= linear.shape[1]
    spread = covariance @ linear
    gram = linear @ linear.T if rows_gram else linear.T @ linear
    excess = gram - torch.eye(len(gram), dtype=linear.dtype)
    value = (linear * spread).sum() - 2 * (linear * cross).sum() + weight * excess.pow(2).sum() / len(gram)
    orthogonal = excess @ linear if rows_gram else linear @ excess
    gradient = 2 * (spread - cross) + (4 * weight / len(gram)) * orthogonal
    return value, gradient


def soft_orthogonal_map(
    stats: PairStatistics,
    start: AffineMap,
    weight: float = ORTHOGONALITY_WEIGHT,
    iterations: int = SOFT_ORTHOGONAL_ITERATIONS,
) -> AffineMap:
    """The λ-orthogonality map (NeurIPS 2025): least squares plus λ‖WWᵀ - I‖², which
    keeps the source geometry while still fitting the target. It has no closed form;
    L-BFGS on the second moments, started from ``start`` (Procrustes: feasible already),
    gets within a few tenths of a point of converged in fifteen steps without touching
    the rows again."""
    covariance = torch.from_numpy(stats.source_covariance).float()
    cross = torch.from_numpy(stats.cross_covariance).float()
    linear = torch.from_numpy(start.weight.copy()).requires_grad_(True)
    optimiser = torch.optim.LBFGS([linear], max_iter=iterations, line_search_fn="strong_wolfe")

    def evaluate() -> torch.Tensor:
        with torch.no_grad():
            value, gradient = _objective(linear, covariance, cross, weight)
        linear.grad = gradient
        return value

    optimiser.step(evaluate)
    return stats.affine(linear.detach().double().numpy())

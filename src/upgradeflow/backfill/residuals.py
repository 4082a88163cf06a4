"""How far the forward adapter had to move each stored feature (label-free).

The residual-first ordering backfills first the items the adapter changed most: there
the evolved feature is least trustworthy, because the adapter is extrapolating rather
than re-expressing what the old feature already said. Our definition:

- old and evolved spaces of one dimension: ``1 - cos(ψ(x), x)``, how far the adapter
  moved the stored feature from where it was;
- different dimensions: ``1 - cos(ψ(x), x W)`` with ``W`` the least-squares linear map
  from old to evolved features over the gallery itself, so the residual is the part of
  ψ that no linear change of basis explains.

Both need only the stored old and evolved embeddings, never labels or raw items.
"""

from __future__ import annotations

import numpy as np

from upgradeflow.errors import UserInputError


def _normalised(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def adapter_residuals(old: np.ndarray, evolved: np.ndarray) -> np.ndarray:
    """Per-item residual in [0, 2] of evolved features [N, d_new] against old ones [N, d_old]."""
    if len(old) != len(evolved):
        raise UserInputError(f"residuals need one old feature per evolved one, got {len(old)} and {len(evolved)}")
    old64, evolved64 = old.astype(np.float64), evolved.astype(np.float64)
    if old.shape[1] == evolved.shape[1]:
        view = old64
    else:
        linear, *_ = np.linalg.lstsq(old64, evolved64, rcond=None)
        view = old64 @ linear
    cosine = np.einsum("ij,ij->i", _normalised(evolved64), _normalised(view))
    return 1.0 - cosine

"""Checks on embeddings before they are searched: the mistakes users actually make."""

from __future__ import annotations

import numpy as np

from upgradeflow.errors import UserInputError


def check_embeddings(queries: np.ndarray, gallery: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return both as contiguous float32 [N, d], or raise naming the problem."""
    out = []
    for name, array in (("query", queries), ("gallery", gallery)):
        array = np.ascontiguousarray(array, dtype=np.float32)
        if array.ndim != 2:
            raise UserInputError(f"{name} embeddings must be 2-D [N, d], got shape {array.shape}")
        if len(array) == 0:
            raise UserInputError(f"{name} embeddings are empty")
        if not np.isfinite(array).all():
            bad = int((~np.isfinite(array).all(axis=1)).sum())
            raise UserInputError(f"{name} embeddings contain NaN or infinite values in {bad} rows")
        out.append(array)
    if out[0].shape[1] != out[1].shape[1]:
        raise UserInputError(
            f"embedding dimension mismatch: queries are {out[0].shape[1]}-d, gallery is {out[1].shape[1]}-d"
        )
    return out[0], out[1]

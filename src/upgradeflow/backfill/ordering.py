"""Backfill ordering: which gallery items to re-extract first.

Re-extracting an item whose stored feature is already good buys little; the order
decides how fast quality rises with the backfilled fraction. The order is computed once,
before the backfill starts, and kept with the backfill so a resumed run continues it.
"""

from __future__ import annotations

import hashlib

import numpy as np

from upgradeflow.discriminativeness import old_discriminativeness
from upgradeflow.errors import UserInputError, check_choice

POLICIES = ("random", "worst-first", "residual-first")


def check_policy(name: str) -> str:
    return check_choice("backfill ordering", name, POLICIES)


def backfill_order(
    policy: str,
    count: int,
    *,
    seed: int = 0,
    old_features: np.ndarray | None = None,
    identities: np.ndarray | None = None,
    residuals: np.ndarray | None = None,
) -> np.ndarray:
    """A permutation of ``range(count)``: position k holds the item backfilled k-th.

    - ``random``: a seeded shuffle, the baseline every policy must beat;
    - ``worst-first``: lowest old discriminativeness first, p_o(y|x) against leave-one-out
      prototypes of the gallery's own identities (so it needs ``identities``);
    - ``residual-first``: largest adapter residual first, ``residuals`` being how far the
      forward adapter had to move each stored feature (label-free).

    Ties keep gallery order (a stable sort), so the order is reproducible.
    """
    check_policy(policy)
    if policy == "random":
        return np.random.default_rng(seed).permutation(count)
    if policy == "worst-first":
        if old_features is None or identities is None:
            raise UserInputError("worst-first ordering needs the gallery's identities; use residual-first or random")
        score = old_discriminativeness(old_features, identities)
    else:
        if residuals is None:
            raise UserInputError("residual-first ordering needs the forward adapter's residuals")
        score = -np.asarray(residuals, dtype=np.float64)
    if len(score) != count:
        raise UserInputError(f"ordering scores cover {len(score)} items, the gallery has {count}")
    return np.argsort(score, kind="stable")


def order_digest(order: np.ndarray) -> str:
    """Names an order, so a resumed backfill can prove it continues the same one."""
    return hashlib.sha256(np.ascontiguousarray(order, dtype=np.int64).tobytes()).hexdigest()

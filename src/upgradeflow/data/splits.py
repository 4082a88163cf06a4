"""Open-set splits: identities are either trained on or held out, never both."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from upgradeflow.data.image_set import ROLES, SPLITS, ImageSet
from upgradeflow.errors import UserInputError


def assign_split_and_roles(
    identities: np.ndarray,
    *,
    seed: int,
    train_fraction: float = 0.7,
    queries_per_identity: int = 2,
) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(split, role)`` arrays for rows labelled ``identities``.

    A held-out identity gives ``queries_per_identity`` queries and the rest of its images
    to the gallery; identities with too few images to have both are kept for training,
    since they could never be evaluated.
    """
    rng = np.random.default_rng(seed)
    unique, counts = np.unique(identities, return_counts=True)
    evaluable = unique[counts > queries_per_identity]
    order = rng.permutation(len(evaluable))
    n_test = round(len(unique) * (1.0 - train_fraction))
    test_ids = set(evaluable[order[:n_test]].tolist())

    split = np.full(len(identities), "train", dtype=object)
    role = np.full(len(identities), "train", dtype=object)
    for identity in sorted(test_ids):
        rows = np.flatnonzero(identities == identity)
        split[rows] = "test"
        role[rows] = "gallery"
        role[rng.choice(rows, size=queries_per_identity, replace=False)] = "query"
    return split.astype(str), role.astype(str)


def stored_split_and_roles(table: pa.Table, where: str) -> tuple[np.ndarray, np.ndarray] | None:
    """The table's own ``split`` and ``role`` columns, checked; None when it has neither,
    and the split is then drawn by identity."""
    if not {"split", "role"} <= set(table.schema.names):
        return None
    split = np.asarray(table.column("split").to_pylist(), dtype=str)
    role = np.asarray(table.column("role").to_pylist(), dtype=str)
    for name, values, allowed in (("split", split, SPLITS), ("role", role, ROLES)):
        unknown = sorted(set(values.tolist()) - set(allowed))
        if unknown:
            raise UserInputError(f"{where}: column '{name}' has unknown values {unknown}")
    return split, role


def validation_view(data: ImageSet, fraction: float = 0.25, seed: int = 1234) -> ImageSet:
    """The training identities alone, re-split: ``fraction`` of them held out as
    queries and gallery, the real test identities dropped.

    Hyperparameters are chosen on this view, so the reported test numbers never guided
    a choice.
    """
    train = data.select(data.split == "train")
    split, role = assign_split_and_roles(train.identities, seed=seed, train_fraction=1.0 - fraction)
    return ImageSet(train.images, train.identities, train.ids, split, role)

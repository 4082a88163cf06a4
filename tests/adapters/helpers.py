"""Paired embeddings for the adapter tests."""

from __future__ import annotations

import numpy as np


def paired(rows_per_identity=3, identities=200, bend=0.0, seed=0):
    """Unit (old, new, identities) rows; ``bend`` adds a part of new that no linear map of old explains."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((identities, 16))
    labels = np.repeat(np.arange(identities), rows_per_identity)
    old = centres[labels] + 0.3 * rng.standard_normal((len(labels), 16))
    new = old @ rng.standard_normal((16, 24)) + bend * np.sin(3 * old) @ rng.standard_normal((16, 24))
    unit = lambda a: (a / np.linalg.norm(a, axis=1, keepdims=True)).astype(np.float32)  # noqa: E731
    return unit(old), unit(new), labels

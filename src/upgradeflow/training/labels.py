"""Identity values to dense class indices (and back)."""

from __future__ import annotations

import numpy as np


class LabelIndex:
    """Sorted identities; class ``i`` is ``identities[i]``."""

    def __init__(self, identities: np.ndarray) -> None:
        self.identities = np.unique(identities)

    def __len__(self) -> int:
        return len(self.identities)

    def encode(self, identities: np.ndarray) -> np.ndarray:
        index = np.searchsorted(self.identities, identities)
        if (index >= len(self.identities)).any() or (
            self.identities[np.minimum(index, len(self) - 1)] != identities
        ).any():
            raise ValueError("identity outside the label index")
        return index.astype(np.int64)

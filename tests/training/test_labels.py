"""Identities to dense class indices: the classifier's row for an identity must be the
same in every part of a run, and an identity it never saw is an error, not row 0."""

import numpy as np
import pytest

from upgradeflow.training.labels import LabelIndex


def test_label_index_round_trip_and_unknown_identity():
    index = LabelIndex(np.array([30, 10, 20, 10]))
    np.testing.assert_array_equal(index.encode(np.array([10, 30])), [0, 2])
    assert len(index) == 3 and index.identities[index.encode(np.array([20]))].tolist() == [20]
    for unknown in (15, 40):  # between known identities, and past the last one
        with pytest.raises(ValueError, match="outside the label index"):
            index.encode(np.array([10, unknown]))

"""Adapter residuals: how far the forward adapter moved each stored feature, the score
residual-first ordering backfills by."""

from __future__ import annotations

import numpy as np
import pytest

from upgradeflow.backfill.residuals import adapter_residuals
from upgradeflow.errors import UserInputError


def test_residuals_across_dimensions_use_the_best_linear_view():
    rng = np.random.default_rng(0)
    old = rng.standard_normal((200, 8))
    linear = old @ rng.standard_normal((8, 12))
    assert np.allclose(adapter_residuals(old, linear), 0, atol=1e-9)  # a linear map moves nothing
    bent = linear.copy()
    bent[:10] = rng.standard_normal((10, 12))
    assert adapter_residuals(old, bent)[:10].min() > adapter_residuals(old, bent)[10:].max()


def test_in_one_dimension_the_residual_is_the_cosine_distance_moved():
    """Same dimension: no basis change is fitted, so even a rotation counts as movement."""
    old = np.array([[1.0, 0.0], [0.0, 2.0], [3.0, 0.0]])
    evolved = np.array([[1.0, 0.0], [0.0, -1.0], [0.0, 5.0]])
    np.testing.assert_allclose(adapter_residuals(old, evolved), [0.0, 2.0, 1.0], atol=1e-12)


def test_rows_must_pair_up():
    with pytest.raises(UserInputError, match="one old feature per evolved one, got 3 and 2"):
        adapter_residuals(np.ones((3, 4)), np.ones((2, 4)))

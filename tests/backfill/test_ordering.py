import numpy as np
import pytest

from upgradeflow.backfill.ordering import backfill_order, order_digest
from upgradeflow.errors import UserInputError


def clustered(seed=0):
    """Three identities of four items; item 0 of each sits on another identity's centre."""
    rng = np.random.default_rng(seed)
    centres = np.eye(3, 8)
    identities = np.repeat(np.arange(3), 4)
    features = centres[identities] + 0.05 * rng.normal(size=(12, 8))
    features[[0, 4, 8]] = centres[[1, 2, 0]] + 0.05 * rng.normal(size=(3, 8))
    return features, identities


def test_random_is_a_seeded_permutation():
    order = backfill_order("random", 50, seed=3)
    assert sorted(order) == list(range(50))
    np.testing.assert_array_equal(order, backfill_order("random", 50, seed=3))
    assert order_digest(order) != order_digest(backfill_order("random", 50, seed=4))


def test_worst_first_puts_items_that_look_like_another_identity_first():
    features, identities = clustered()
    order = backfill_order("worst-first", 12, old_features=features, identities=identities)
    assert set(order[:3]) == {0, 4, 8}


def test_residual_first_takes_the_largest_residual_first():
    np.testing.assert_array_equal(backfill_order("residual-first", 4, residuals=[0.1, 0.9, 0.5, 0.0]), [1, 2, 0, 3])


@pytest.mark.parametrize(
    ("policy", "kwargs", "message"),
    [
        ("best-first", {}, "unknown backfill ordering 'best-first'"),
        ("worst-first", {}, "needs the gallery's identities"),
        ("residual-first", {}, "needs the forward adapter's residuals"),
        ("residual-first", {"residuals": [0.1, 0.2]}, "cover 2 items, the gallery has 3"),
    ],
)
def test_unusable_policies_are_refused(policy, kwargs, message):
    with pytest.raises(UserInputError, match=message):
        backfill_order(policy, 3, **kwargs)

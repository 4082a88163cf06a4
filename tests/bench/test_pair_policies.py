import numpy as np

from upgradeflow.bench.pair_policies import excess_drop, excess_drop_bound


def test_a_falling_curve_may_fall_by_its_share_of_the_decline():
    assert excess_drop([70.0, 69.0, 68.0]) == 0.0
    assert excess_drop([70.0, 68.5, 68.0]) == 0.5
    assert excess_drop([60.0, 59.0, 70.0]) == 1.0  # a rising curve has no allowance


def _per_query(step_drops: np.ndarray) -> np.ndarray:
    """Three fractions: every query at 0.7, then 0.7 - its own drop, then back to 0.7."""
    start = np.full(len(step_drops), 0.7)
    return np.stack([start, start - step_drops, start])


def test_the_bound_widens_with_the_spread_of_the_queries():
    rng = np.random.default_rng(0)
    steady = _per_query(np.full(400, 0.003))  # every query drops 0.3 points
    noisy = _per_query(0.003 + 0.2 * rng.standard_normal(400))  # the same mean, a wide spread
    assert excess_drop(100 * steady.mean(axis=1)) == 0.3
    assert excess_drop_bound(steady, seed=0) == 0.3
    assert excess_drop_bound(noisy, seed=0) > 0.5


def test_held_out_curves_read_the_evaluated_gallerys_share():
    from upgradeflow.bench.pair_policies import MIN_DEPTH, held_out_depth

    assert held_out_depth(2_000, 9_000) == 22  # Fashion-MNIST: 100 x 2,000 / 9,000
    assert held_out_depth(20_000, 9_000) == 100  # never deeper than the evaluated reading
    assert held_out_depth(500, 1_000_000) == MIN_DEPTH

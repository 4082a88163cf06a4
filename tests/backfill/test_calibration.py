"""Score calibration puts two spaces' similarities on one scale without reordering either."""

from __future__ import annotations

import numpy as np

from upgradeflow.backfill.calibration import CalibrationPairs, ScoreCalibration, fit_log_odds, tail_standardised


def test_log_odds_are_recovered_from_labelled_scores():
    rng = np.random.default_rng(0)
    scores = rng.uniform(-1, 1, 200_000)
    positive = rng.uniform(size=scores.size) < 1 / (1 + np.exp(-(8 * scores - 2)))
    fitted = fit_log_odds(scores, positive)
    assert abs(fitted.scale - 8) < 0.3 and abs(fitted.shift + 2) < 0.1


def test_two_spaces_that_differ_by_an_affine_map_calibrate_onto_each_other():
    rng = np.random.default_rng(1)
    labels = np.repeat(np.arange(100), 4)
    x = rng.standard_normal((100, 8))[labels] + 0.5 * rng.standard_normal((400, 8))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    pairs = CalibrationPairs.of(labels)
    native = pairs.calibration(x, x)
    squeezed = pairs.calibration(0.5 * x, x)  # the same ranking, scores halved
    onto = squeezed.onto(native)
    assert abs(onto.scale - 2.0) < 0.05 and abs(onto.shift) < 0.02  # halved scores count double
    assert CalibrationPairs.of(np.arange(10)) is None  # no shared identity: nothing to fit


def test_a_calibration_per_query_maps_each_querys_row_of_scores():
    scores = np.arange(6.0).reshape(3, 2)
    per_query = ScoreCalibration(np.array([1.0, 2.0, 3.0]), np.array([0.0, -1.0, 1.0]))
    np.testing.assert_allclose(per_query(scores), [[0, 1], [3, 5], [13, 16]])
    np.testing.assert_allclose(ScoreCalibration(0.5, 2.0)(scores), 0.5 * scores + 2.0)


def test_tail_standardised_scores_put_each_querys_tail_between_zero_and_one():
    rng = np.random.default_rng(3)
    queries, reference = rng.standard_normal((5, 8)), rng.standard_normal((3000, 8))
    scores = queries @ reference.T
    z = tail_standardised(queries, reference)(scores)
    np.testing.assert_allclose(np.quantile(z, 0.9, axis=1), 0, atol=1e-9)
    np.testing.assert_allclose(np.quantile(z, 0.999, axis=1), 1, atol=1e-9)
    shifted = tail_standardised(2 * queries, reference)(2 * scores)  # a query that scores everything twice as high
    np.testing.assert_allclose(shifted, z, atol=1e-9)

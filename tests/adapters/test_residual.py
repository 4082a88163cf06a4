"""The learned residual map: it starts at its closed form, keeps the step the held-out
score prefers, and trains only on the losses it names."""

from __future__ import annotations

import numpy as np
import pytest

from tests.adapters.helpers import paired
from upgradeflow.adapters.closed_form import PairStatistics, ridge_maps
from upgradeflow.adapters.residual import ResidualConfig, fit_residual
from upgradeflow.errors import UserInputError
from upgradeflow.models.adapter import apply_adapter


def ridge_start(old, new):
    return ridge_maps(PairStatistics.of(old, new), (1e-2,))[1e-2]


def test_the_residual_starts_exactly_at_its_closed_form():
    old, new, labels = paired()
    start = ridge_start(old, new)
    adapter, trace = fit_residual(old, new, labels, start, lambda m: {}, ResidualConfig(), steps=0)
    np.testing.assert_allclose(apply_adapter(adapter, old), start(old), atol=1e-5)
    assert trace["steps_run"] == 0


def test_a_score_that_only_falls_keeps_the_closed_form_and_stops_early():
    """Training may only move away from the closed form when the held-out score says so;
    ``patience`` checks without improvement end the run long before ``max_steps``."""
    old, new, labels = paired(identities=60, bend=1.5)
    start = ridge_start(old, new)
    calls = []

    def falling(_map):
        calls.append(len(calls))
        return {"map@100": 50.0 - len(calls), "top1": 50.0}

    config = ResidualConfig(hidden_dim=32, max_epochs=50, patience=2)
    adapter, trace = fit_residual(old, new, labels, start, falling, config)
    steps = [check["step"] for check in trace["checks"]]
    assert trace["best_step"] == 0 and len(steps) == 1 + config.patience and steps[0] == 0
    assert trace["steps_run"] == steps[-1] < config.max_epochs  # a full run is 50 passes of one batch
    np.testing.assert_allclose(apply_adapter(adapter, old), start(old), atol=1e-5)


def test_a_fixed_number_of_steps_moves_the_map_off_its_start():
    old, new, labels = paired(identities=60, bend=1.5)
    start = ridge_start(old, new)
    config = ResidualConfig(loss="metric", hidden_dim=32)
    adapter, trace = fit_residual(old, new, labels, start, lambda m: {}, config, steps=20)
    assert trace["steps_run"] == trace["best_step"] == 20 and trace["checks"] == []
    mapped = apply_adapter(adapter, old)
    assert np.isfinite(mapped).all() and np.abs(mapped - start(old)).max() > 1e-3


def test_an_unknown_loss_is_refused():
    with pytest.raises(UserInputError, match="unknown residual loss 'mse'"):
        ResidualConfig(loss="mse")

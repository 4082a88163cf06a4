"""The chosen map is the best on held-out rows; a learned map wins only by beating the
closed form it starts from, and the choice is recorded with the adapter."""

from __future__ import annotations

import numpy as np

from tests.adapters.helpers import paired
from upgradeflow.adapters.heldout import retrieval_key
from upgradeflow.adapters.selection import FORWARD_LEARNED, choose_adapter
from upgradeflow.models.adapter import apply_adapter, load_adapter, save_adapter


def test_a_linear_relation_keeps_the_closed_form():
    old, new, labels = paired()
    chosen = choose_adapter(old, new, labels, FORWARD_LEARNED)
    assert chosen.family in ("ridge", "procrustes", "soft-orthogonal")
    candidates = chosen.record["candidates"]
    assert set(candidates) == {"ridge", "procrustes", "soft-orthogonal", "residual"}
    assert retrieval_key(candidates[chosen.family]) == max(retrieval_key(c) for c in candidates.values())
    assert chosen.adapter.config.depth == 1


def test_a_bent_relation_takes_the_learned_residual(tmp_path):
    old, new, labels = paired(bend=1.5)
    chosen = choose_adapter(old, new, labels, FORWARD_LEARNED)
    candidates = chosen.record["candidates"]
    assert chosen.family == "residual"
    assert retrieval_key(candidates["residual"]) > retrieval_key(candidates[chosen.record["closed_form_base"]])
    path = save_adapter(chosen.adapter, tmp_path / "forward", {"selection": chosen.record})
    reloaded = load_adapter(path)  # whichever family won loads through the same door
    np.testing.assert_allclose(apply_adapter(reloaded, old[:5]), apply_adapter(chosen.adapter, old[:5]), atol=1e-6)


def test_too_few_rows_fall_back_to_ridge_and_say_so():
    old, new, labels = paired(identities=5)
    chosen = choose_adapter(old, new, labels, FORWARD_LEARNED)
    assert chosen.family == "ridge" and "too few to hold any out" in chosen.record["note"]

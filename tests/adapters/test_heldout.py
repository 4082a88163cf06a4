"""Candidates are scored on rows they were not fitted on, split by identity when there
are enough identities."""

from __future__ import annotations

import numpy as np

from upgradeflow.adapters.heldout import held_out_split, heldout_retrieval
from upgradeflow.evaluation.ranking import leave_one_out_ranks


def test_many_identities_are_held_out_whole():
    identities = np.repeat(np.arange(300), 3)
    split = held_out_split(identities, seed=0)
    assert split.by == "identity" and split.protocol == "identity"
    assert not set(identities[split.fit]) & set(identities[split.held_out])
    assert 0.08 < len(split.held_out) / len(identities) < 0.12
    assert np.array_equal(np.sort(np.concatenate([split.fit, split.held_out])), np.arange(len(identities)))


def test_few_identities_are_split_by_row_and_singletons_by_item():
    few = held_out_split(np.repeat(np.arange(10), 30), seed=0)
    assert few.by == "row" and few.protocol == "identity" and len(few.held_out) == 30
    singletons = held_out_split(np.arange(500), seed=0)
    assert singletons.protocol == "item"
    assert held_out_split(np.arange(19), seed=0) is None


def test_leave_one_out_never_finds_the_query_itself():
    x = np.eye(4, dtype=np.float32)
    labels = np.array([0, 0, 1, 2])
    ranks = leave_one_out_ranks(x, x, labels)
    assert [len(r) for r in ranks] == [1, 1, 0, 0]  # the self match is neither a hit nor a positive
    assert heldout_retrieval(x, x, labels, "item")["top1"] == 100.0

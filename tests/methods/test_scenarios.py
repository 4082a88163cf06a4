"""Upgrade scenarios and the per-seed split they train and evaluate on: the old model
sees only a part of the training identities, and evaluation only held-out ones."""

from __future__ import annotations

import numpy as np
import pytest

from upgradeflow.data.image_set import ImageSet
from upgradeflow.errors import UserInputError
from upgradeflow.methods.scenarios import SCENARIOS, get_scenario, make_split


def image_set(train_identities: int, test_identities: int) -> ImageSet:
    """Two images per identity; each held-out identity has one query and one gallery image."""
    identities = np.repeat(np.arange(train_identities + test_identities), 2)
    held_out = identities >= train_identities
    role = np.where(held_out, np.tile(["query", "gallery"], len(identities) // 2), "train")
    return ImageSet(
        images=np.zeros((len(identities), 2, 2), np.uint8),
        identities=identities.astype(np.int64),
        ids=np.array([f"i{n}" for n in range(len(identities))]),
        split=np.where(held_out, "test", "train"),
        role=role,
    )


def test_the_old_model_trains_on_a_seeded_share_of_the_training_identities():
    data = image_set(train_identities=50, test_identities=10)
    split = make_split(data, SCENARIOS["hard"], seed=1)
    old_ids = split.old_train.unique_identities()
    assert len(old_ids) == 5 and set(old_ids) <= set(split.train.unique_identities())
    assert set(split.queries.identities) == set(split.gallery.identities) == set(range(50, 60))
    assert set(split.queries.role) == {"query"} and set(split.gallery.role) == {"gallery"}
    again = make_split(data, SCENARIOS["hard"], seed=1).old_train.unique_identities()
    np.testing.assert_array_equal(again, old_ids)
    assert not np.array_equal(make_split(data, SCENARIOS["hard"], seed=2).old_train.unique_identities(), old_ids)


def test_quick_mode_trains_less_on_fewer_identities():
    quick = get_scenario("default", quick=True)
    assert (quick.old_epochs, quick.new_epochs) == (5, 3)
    split = make_split(image_set(train_identities=600, test_identities=250), quick, seed=0)
    assert len(split.train.unique_identities()) == 500 and len(split.queries.unique_identities()) == 200
    assert get_scenario("default", quick=False) == SCENARIOS["default"]


def test_a_dataset_without_held_out_identities_is_refused():
    with pytest.raises(UserInputError, match="needs both training and held-out"):
        make_split(image_set(train_identities=10, test_identities=0), SCENARIOS["default"], seed=0)
    with pytest.raises(UserInputError, match="unknown scenario 'easy'"):
        get_scenario("easy", quick=False)

import numpy as np

from upgradeflow.data.image_set import ImageSet
from upgradeflow.data.splits import assign_split_and_roles, validation_view


def test_split_is_open_set_and_roles_are_per_identity():
    identities = np.repeat(np.arange(100), 6)
    split, role = assign_split_and_roles(identities, seed=3)
    train_ids = set(identities[split == "train"])
    test_ids = set(identities[split == "test"])
    assert not train_ids & test_ids
    assert len(test_ids) == 30
    for identity in test_ids:
        roles = role[identities == identity]
        assert (roles == "query").sum() == 2 and (roles == "gallery").sum() == 4
    assert (role[split == "train"] == "train").all()


def test_split_is_deterministic_and_seeded():
    identities = np.repeat(np.arange(50), 4)
    a = assign_split_and_roles(identities, seed=1)
    b = assign_split_and_roles(identities, seed=1)
    c = assign_split_and_roles(identities, seed=2)
    assert all((x == y).all() for x, y in zip(a, b, strict=True))
    assert not (a[1] == c[1]).all()


def test_identities_too_small_to_evaluate_stay_in_training():
    identities = np.array([0, 0, 1, 1, 1, 1])
    split, _ = assign_split_and_roles(identities, seed=0, train_fraction=0.0)
    assert (split[:2] == "train").all()


def test_validation_view_never_holds_a_test_identity():
    identities = np.repeat(np.arange(80), 5)
    split, role = assign_split_and_roles(identities, seed=0)
    data = ImageSet(np.zeros((len(identities), 4, 4), dtype=np.uint8), identities, identities.astype(str), split, role)
    view = validation_view(data)
    assert set(view.identities) == set(identities[split == "train"])
    held_out = set(view.identities[view.split == "test"])
    assert held_out and set(view.identities[view.split == "train"]).isdisjoint(held_out)
    assert len(held_out) == round(len(set(view.identities)) * 0.25)

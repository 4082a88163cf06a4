import numpy as np

from upgradeflow.data.splits import assign_split_and_roles


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

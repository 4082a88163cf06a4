from __future__ import annotations

import pytest

from upgradeflow.errors import ConflictError, UserInputError
from upgradeflow.store.local import LocalStore
from upgradeflow.store.pointer import advance, read_pointer, step_back


def test_advance_requires_the_expected_live_version(tmp_path):
    store = LocalStore(tmp_path)
    advance(store, "CURRENT", "v1", expected_current=None)
    advance(store, "CURRENT", "v2", expected_current="v1")
    assert advance(store, "CURRENT", "v2", expected_current="v1").current == "v2"  # re-run is a no-op
    with pytest.raises(ConflictError, match="live version is v2, not v1"):
        advance(store, "CURRENT", "v3", expected_current="v1")
    pointer, _ = read_pointer(store, "CURRENT")
    assert (pointer.current, pointer.previous, pointer.history) == ("v2", "v1", ["v1", "v2"])


def test_step_back_walks_the_history(tmp_path):
    store = LocalStore(tmp_path)
    for parent, version in [(None, "v1"), ("v1", "v2"), ("v2", "v3")]:
        advance(store, "CURRENT", version, expected_current=parent)
    assert step_back(store, "CURRENT").current == "v2"
    assert step_back(store, "CURRENT").current == "v1"
    with pytest.raises(UserInputError, match="no previous version"):
        step_back(store, "CURRENT")


def test_a_watcher_polls_a_pointer_by_its_token(store_uri):
    """What the query service does every poll: a conditional read answers "unchanged"
    (``None``, no body) until the pointer moves, then the new bytes and token."""
    from upgradeflow.store.location import open_store

    store = open_store(store_uri)
    with pytest.raises(FileNotFoundError):
        store.read_if_changed("indexes/i/CURRENT", None)
    advance(store, "indexes/i/CURRENT", "v1", expected_current=None)
    data, token = store.read_if_changed("indexes/i/CURRENT", None)
    assert b'"v1"' in data
    assert store.read_if_changed("indexes/i/CURRENT", token) is None
    advance(store, "indexes/i/CURRENT", "v2", expected_current="v1")
    data, moved = store.read_if_changed("indexes/i/CURRENT", token)
    assert b'"current": "v2"' in data and moved != token


def test_step_back_moves_several_versions_in_one_swap_only_from_the_expected_one(tmp_path):
    store = LocalStore(tmp_path)
    for parent, version in [(None, "v1"), ("v1", "v2"), ("v2", "v3")]:
        advance(store, "CURRENT", version, expected_current=parent)
    with pytest.raises(ConflictError, match="live version is v3, not v2"):
        step_back(store, "CURRENT", expected_current="v2", steps=2)
    assert step_back(store, "CURRENT", expected_current="v3", steps=2).history == ["v1"]

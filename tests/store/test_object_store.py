"""The object-store interface, held by every backend alike: compare-and-swap, whole
objects or none, and keys joined one way."""

from __future__ import annotations

import pytest

from upgradeflow.errors import ConflictError
from upgradeflow.store.location import open_store
from upgradeflow.store.object_store import join


def test_compare_and_swap_and_atomic_publish(store_uri):
    store = open_store(store_uri)
    assert store.read_versioned("a/CURRENT") is None
    store.write_if("a/CURRENT", b"one", None)
    with pytest.raises(ConflictError):
        store.write_if("a/CURRENT", b"two", None)  # exists already
    data, token = store.read_versioned("a/CURRENT")
    assert data == b"one"
    store.write_if("a/CURRENT", b"two", token)
    with pytest.raises(ConflictError):
        store.write_if("a/CURRENT", b"three", token)  # stale token
    assert store.read("a/CURRENT") == b"two"

    with pytest.raises(RuntimeError), store.publish("a/shard.bin") as tmp:
        tmp.write_bytes(b"partial")
        raise RuntimeError("writer died")
    assert not store.exists("a/shard.bin")
    assert store.list("a") == ["a/CURRENT"]
    with store.publish("a/shard.bin") as tmp:
        tmp.write_bytes(b"whole")
    with store.local_copy("a/shard.bin") as path:
        assert path.read_bytes() == b"whole"
    store.delete(["a/shard.bin"])
    assert store.list("a") == ["a/CURRENT"]
    with pytest.raises(FileNotFoundError):
        store.read("a/missing")


def test_keys_are_joined_with_single_slashes():
    assert join("galleries/", "/g", "", "versions/v1/") == "galleries/g/versions/v1"

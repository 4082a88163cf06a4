from __future__ import annotations

import pytest

from tests.test_atomic import assert_durable, record_disk_events
from upgradeflow.errors import ConflictError, UserInputError
from upgradeflow.store.local import LocalStore
from upgradeflow.store.location import open_store
from upgradeflow.store.pointer import advance


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


def test_unsupported_scheme_is_a_user_error():
    with pytest.raises(UserInputError, match="unsupported store"):
        open_store("gs://bucket/x")


@pytest.mark.parametrize("under", ["", "sub"])
def test_store_root_that_is_a_file_is_a_one_line_user_error(capsys, tmp_path, under):
    from upgradeflow.cli.main import main

    regular = tmp_path / "table.parquet"
    regular.write_bytes(b"not a store")
    root = regular / under if under else regular
    with pytest.raises(UserInputError, match=r"table\.parquet: not a directory"):
        open_store(str(root))
    assert main(["gallery", "list", "g", "--store", str(root)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"upgradeflow: error: {regular}: not a directory (a local store is a directory)"
    ]


def test_a_local_pointer_names_only_data_already_on_disk(tmp_path, monkeypatch):
    """Data published, then the pointer moved: both are synced, file then directory,
    before each becomes visible, so a power cut cannot leave the pointer naming data
    that never reached the disk."""
    events = record_disk_events(monkeypatch)
    store = LocalStore(tmp_path / "store")
    with store.publish("g/versions/v1/shard.bin") as tmp:
        tmp.write_bytes(b"data")
    advance(store, "g/CURRENT", "v1", expected_current=None)
    assert_durable(events, store.root / "g/versions/v1/shard.bin")
    assert_durable(events, store.root / "g/CURRENT")
    data_synced = events.index(("fsync", store.root / "g/versions/v1"))
    pointer_named = next(i for i, e in enumerate(events) if e[0] == "replace" and e[2] == store.root / "g/CURRENT")
    assert data_synced < pointer_named

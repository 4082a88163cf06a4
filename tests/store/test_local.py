"""The local directory store: a root that is no directory is refused at once, what it
names is on disk first, and deleting leaves no empty folders behind."""

from __future__ import annotations

import os

import pytest

from tests.test_atomic import assert_durable, record_disk_events
from upgradeflow.errors import UserInputError
from upgradeflow.store.local import LocalStore
from upgradeflow.store.location import open_store
from upgradeflow.store.pointer import advance


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


def test_deleting_the_last_objects_removes_their_emptied_folders(tmp_path):
    store = LocalStore(tmp_path / "store")
    store.write("g/versions/v1/shards/a", b"a")
    store.write_if("g/versions/v1/shards/b", b"b", None)  # leaves a hidden lock file beside it
    store.write("g/CURRENT", b"v1")
    store.delete(["g/versions/v1/shards/a", "g/versions/v1/shards/b"])
    assert not (store.root / "g/versions").exists()
    assert store.list("g") == ["g/CURRENT"] and store.root.is_dir()


def test_unfinished_writes_count_as_changes_but_are_never_listed(tmp_path):
    """A writer still busy shows only a hidden temporary file: gc must see it as recent
    activity, while readers must not see it at all."""
    store = LocalStore(tmp_path / "store")
    assert store.changed_at("g") is None
    hidden = store.root / "g" / ".shard.parquet.x1.tmp"
    hidden.parent.mkdir(parents=True)
    hidden.write_bytes(b"partial")
    os.utime(hidden, (1_000_000, 1_000_000))
    assert store.list("g") == [] and store.changed_at("g") == 1_000_000

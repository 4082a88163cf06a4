"""Atomic writes are durable: the data reaches the disk before its name does, and the
rename itself is flushed, so after a power cut a name never points at missing bytes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from upgradeflow.atomic import atomic_path


def record_disk_events(monkeypatch: pytest.MonkeyPatch) -> list[tuple]:
    """Every ``fsync`` (by the path its descriptor names) and ``replace``, in order; both
    still do their real work."""
    events: list[tuple] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        events.append(("fsync", Path(os.readlink(f"/proc/self/fd/{fd}"))))
        real_fsync(fd)

    def replace(source, target) -> None:
        events.append(("replace", Path(source), Path(target)))
        real_replace(source, target)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    return events


def assert_durable(events: list[tuple], target: Path) -> None:
    """The file's bytes are synced before the rename that names it, the directory after."""
    [rename] = [i for i, e in enumerate(events) if e[0] == "replace" and e[2] == target]
    temporary = events[rename][1]
    assert ("fsync", temporary) in events[:rename], events
    assert ("fsync", target.parent) in events[rename + 1 :], events


def test_atomic_write_syncs_the_file_then_its_directory(tmp_path, monkeypatch):
    disk_events = record_disk_events(monkeypatch)
    target = tmp_path / "out.bin"
    with atomic_path(target) as tmp:
        tmp.write_bytes(b"whole")
    assert target.read_bytes() == b"whole"
    assert_durable(disk_events, target)


def test_new_directories_are_synced_into_their_parents(tmp_path, monkeypatch):
    disk_events = record_disk_events(monkeypatch)
    target = tmp_path / "a" / "b" / "out.bin"
    with atomic_path(target) as tmp:
        tmp.write_bytes(b"whole")
    assert_durable(disk_events, target)
    synced = [e[1] for e in disk_events if e[0] == "fsync"]
    assert {tmp_path, tmp_path / "a"} <= set(synced)

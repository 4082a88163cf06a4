"""A store from its URI: S3, ``file://`` or a plain path, and nothing else."""

from __future__ import annotations

import pytest

from upgradeflow.errors import UserInputError
from upgradeflow.store.local import LocalStore
from upgradeflow.store.location import open_store


def test_unsupported_scheme_is_a_user_error():
    with pytest.raises(UserInputError, match="unsupported store"):
        open_store("gs://bucket/x")


def test_file_uris_and_plain_paths_open_a_local_store(tmp_path, monkeypatch):
    by_uri = open_store(f"file://{tmp_path}/a")
    assert isinstance(by_uri, LocalStore) and by_uri.root == tmp_path / "a"
    monkeypatch.chdir(tmp_path)
    assert open_store("stores/b").root == tmp_path / "stores" / "b"


def test_the_default_store_comes_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("UPGRADEFLOW_STORE", str(tmp_path / "configured"))
    assert open_store().root == tmp_path / "configured"
    monkeypatch.delenv("UPGRADEFLOW_STORE")
    monkeypatch.chdir(tmp_path)
    assert open_store().root == tmp_path / "data" / "store"


def test_an_s3_store_needs_a_bucket():
    with pytest.raises(UserInputError, match=r"s3:///prefix: an S3 store needs a bucket"):
        open_store("s3:///prefix")

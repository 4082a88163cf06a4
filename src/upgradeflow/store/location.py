"""Open a store from its URI: ``s3://bucket/prefix``, ``file:///path`` or a plain path."""

from __future__ import annotations

import os
from urllib.parse import urlparse

from upgradeflow.errors import UserInputError
from upgradeflow.store.local import LocalStore
from upgradeflow.store.object_store import ObjectStore

DEFAULT_STORE = "data/store"


def default_store_uri() -> str:
    return os.environ.get("UPGRADEFLOW_STORE", DEFAULT_STORE)


def open_store(uri: str | None = None, *, endpoint_url: str | None = None) -> ObjectStore:
    """The store at ``uri``; S3 stores are probed once so a bad endpoint fails here, fast."""
    uri = uri or default_store_uri()
    parsed = urlparse(uri)
    if parsed.scheme == "s3":
        from upgradeflow.store.s3 import S3Store

        if not parsed.netloc:
            raise UserInputError(f"{uri}: an S3 store needs a bucket (s3://bucket/prefix)")
        store = S3Store(parsed.netloc, parsed.path, endpoint_url=endpoint_url)
        store.check()
        return store
    if parsed.scheme == "file":
        return LocalStore(parsed.path)
    if parsed.scheme:
        raise UserInputError(f"{uri}: unsupported store (use s3://bucket/prefix, file:///path or a path)")
    return LocalStore(uri)

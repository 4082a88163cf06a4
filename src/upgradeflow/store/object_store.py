"""The storage interface every backend implements.

Keys are relative, ``/``-separated paths under the store's root. Every write is atomic
at the object level: a reader sees the old object, the complete new one, or none.
Names starting with ``.`` are private to a backend (temporary files, locks) and never
listed.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Protocol


class ObjectStore(Protocol):
    uri: str

    def read(self, key: str) -> bytes:
        """The object's bytes; ``FileNotFoundError`` if it does not exist."""

    def read_versioned(self, key: str) -> tuple[bytes, str] | None:
        """The bytes and a change token (an ETag), or ``None`` if absent."""

    def read_if_changed(self, key: str, token: str | None) -> tuple[bytes, str] | None:
        """The bytes and token if the object's token is no longer ``token``, else ``None``
        (unchanged); ``FileNotFoundError`` if it does not exist. Lets a watcher poll a
        pointer without downloading it again while it stays the same."""

    def write(self, key: str, data: bytes) -> None:
        """Replace the object unconditionally (atomically)."""

    def write_if(self, key: str, data: bytes, expected_token: str | None) -> None:
        """Compare-and-swap: write only if the token still matches (``None``: only if absent).

        Raises ``ConflictError`` when another writer got there first.
        """

    def publish(self, key: str) -> contextlib.AbstractContextManager[Path]:
        """A local path to write; it becomes the object only if the block succeeds."""

    def local_copy(self, key: str) -> contextlib.AbstractContextManager[Path]:
        """A local path holding the object's bytes for the block's duration."""

    def exists(self, key: str) -> bool: ...

    def list(self, prefix: str) -> list[str]:
        """All keys under ``prefix`` (recursive), sorted."""

    def delete(self, keys: list[str]) -> None: ...

    def changed_at(self, prefix: str) -> float | None:
        """When anything under ``prefix`` was last written (seconds since the epoch),
        unfinished writes included; ``None`` when nothing is there. Tells a run still
        writing from one abandoned."""

    def sweep_leftovers(self, prefix: str, before: float) -> tuple[int, int]:
        """Remove what killed writers left under ``prefix`` and did not touch since
        ``before``: hidden temporary files, incomplete multipart uploads. Returns (count,
        bytes)."""


def join(*parts: str) -> str:
    return "/".join(p.strip("/") for p in parts if p)

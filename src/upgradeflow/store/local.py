"""A directory as an object store: the embedded default, no server needed.

Atomicity comes from POSIX: every object is written to a hidden temporary file in the
same directory, synced, and moved into place with ``os.replace``, and the directory is
synced after, so an object (a pointer above all) is on disk before anything that names
it is written. Compare-and-swap holds an ``flock`` on a hidden lock file beside the
object while it compares and replaces, so concurrent processes on one host serialise;
readers never take the lock. The lock holds on one host only (network filesystems do
not reliably share it): writers on several hosts need S3, where the server arbitrates.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

from upgradeflow.atomic import atomic_path
from upgradeflow.errors import ConflictError, UserInputError


def _token(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class LocalStore:
    def __init__(self, root: str | os.PathLike[str]):
        self.root = Path(root).absolute()
        self.uri = self.root.as_uri()
        # A root that is (or lies under) a regular file would fail later with NotADirectoryError
        # on the first key read; that is a wrong --store, so say so once, here.
        existing = next((p for p in (self.root, *self.root.parents) if p.exists()), None)
        if existing is not None and not existing.is_dir():
            raise UserInputError(f"{existing}: not a directory (a local store is a directory)")

    def _path(self, key: str) -> Path:
        return self.root / key

    def read(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def read_versioned(self, key: str) -> tuple[bytes, str] | None:
        try:
            data = self.read(key)
        except FileNotFoundError:
            return None
        return data, _token(data)

    def read_if_changed(self, key: str, token: str | None) -> tuple[bytes, str] | None:
        data = self.read(key)
        return None if _token(data) == token else (data, _token(data))

    def write(self, key: str, data: bytes) -> None:
        with atomic_path(self._path(key)) as tmp:
            tmp.write_bytes(data)

    def write_if(self, key: str, data: bytes, expected_token: str | None) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path.parent / f".{path.name}.lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            current = self.read_versioned(key)
            if (current[1] if current else None) != expected_token:
                raise ConflictError(f"{self.uri}/{key} changed since it was read")
            self.write(key, data)

    @contextlib.contextmanager
    def publish(self, key: str) -> Iterator[Path]:
        with atomic_path(self._path(key)) as tmp:
            yield tmp

    @contextlib.contextmanager
    def local_copy(self, key: str) -> Iterator[Path]:
        path = self._path(key)
        if not path.is_file():
            raise FileNotFoundError(f"{self.uri}/{key}")
        yield path

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def list(self, prefix: str) -> list[str]:
        base = self._path(prefix)
        if not base.is_dir():
            return []
        keys = []
        for directory, dirs, files in os.walk(base):
            dirs[:] = [d for d in dirs if not d.startswith(".")]
            rel = Path(directory).relative_to(self.root)
            keys += [(rel / f).as_posix() for f in files if not f.startswith(".")]
        return sorted(keys)

    def delete(self, keys: list[str]) -> None:
        for key in keys:
            self._path(key).unlink(missing_ok=True)
        for parent in sorted({self._path(k).parent for k in keys}, key=lambda p: -len(p.parts)):
            with contextlib.suppress(OSError):
                while parent != self.root and not any(f for f in parent.iterdir() if not f.name.startswith(".")):
                    for hidden in parent.iterdir():
                        hidden.unlink()
                    parent.rmdir()
                    parent = parent.parent

    def changed_at(self, prefix: str) -> float | None:
        base = self._path(prefix)
        times = [path.stat().st_mtime for path in base.rglob("*") if path.is_file()] if base.is_dir() else []
        return max(times, default=None)

    def sweep_leftovers(self, prefix: str, before: float) -> tuple[int, int]:
        """Hidden temporary files of writes that never reached their ``os.replace``."""
        base = self._path(prefix)
        count = size = 0
        for path in base.rglob(".*.tmp") if base.is_dir() else ():
            stat = path.stat()
            if path.is_file() and stat.st_mtime < before:
                path.unlink(missing_ok=True)
                count, size = count + 1, size + stat.st_size
        return count, size

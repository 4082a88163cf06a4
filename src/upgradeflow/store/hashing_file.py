"""A write-only file that hashes what passes through it.

Shards are written sequentially, so hashing on the way out gives the checksum without
reading the file back.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path


class HashingFile(io.RawIOBase):
    def __init__(self, path: Path):
        super().__init__()
        self._handle = open(path, "wb")  # noqa: SIM115 (closed in close())
        self._digest = hashlib.sha256()
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        view = memoryview(data)
        self._digest.update(view)
        self.size += view.nbytes
        return self._handle.write(view)

    def tell(self) -> int:
        return self.size

    def flush(self) -> None:
        if not self._handle.closed:
            self._handle.flush()

    def close(self) -> None:
        if not self.closed:
            self._handle.close()
        super().close()

    def hexdigest(self) -> str:
        return self._digest.hexdigest()

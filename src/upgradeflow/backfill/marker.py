"""The gallery's ``BACKFILL`` marker: which backfill a searching service may merge.

One small object per gallery names the live version a backfill fills, the staged
version it fills it into, and the shards published so far, so a service finds the
backfill in progress with one conditional read instead of listing every version, and
gc knows which staged version is in use. Only ``backfill.publication`` moves it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from upgradeflow.errors import UserInputError
from upgradeflow.store.gallery import Gallery
from upgradeflow.store.object_store import join

MARKER = "BACKFILL"


@dataclass(frozen=True)
class BackfillMarker:
    """The backfill a service may merge: which live version it fills, into which staged
    version, and the shards published so far."""

    source: str
    target: str
    shards: tuple[int, ...]

    def to_json(self) -> bytes:
        return json.dumps({"source": self.source, "target": self.target, "shards": list(self.shards)}).encode()


def marker_key(gallery: Gallery) -> str:
    return join(gallery.prefix, MARKER)


def read_marker(data: bytes, where: str = MARKER) -> BackfillMarker:
    """A ``BACKFILL`` marker's bytes, checked: a corrupt marker is one line, not a traceback."""
    try:
        document = json.loads(data)
        shards = document["shards"]
        if not (isinstance(shards, list) and all(isinstance(s, int) and s >= 0 for s in shards)):
            raise ValueError("shards must be a list of shard numbers")
        return BackfillMarker(str(document["source"]), str(document["target"]), tuple(shards))
    except (ValueError, KeyError, TypeError) as error:
        raise UserInputError(f"{where}: corrupt backfill marker ({error})") from None


def published_marker(gallery: Gallery) -> BackfillMarker | None:
    found = gallery.store.read_versioned(marker_key(gallery))
    return None if found is None else read_marker(found[0], f"{gallery.store.uri}/{marker_key(gallery)}")

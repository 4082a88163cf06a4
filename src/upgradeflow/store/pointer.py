"""The ``CURRENT`` pointer of a gallery or an index.

One small JSON object names the live version and keeps the recent history of live
versions, so rollback knows where to go. It only ever changes by compare-and-swap
against the token read, so two writers can never both believe they won, and a reader
sees one whole pointer or the other.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

from upgradeflow.errors import ConflictError, UserInputError
from upgradeflow.store.object_store import ObjectStore

FORMAT = "upgradeflow.pointer/1"
HISTORY_LIMIT = 50


@dataclass(frozen=True)
class Pointer:
    history: list[str] = field(default_factory=list)  # live versions, oldest first
    updated_at: str = ""

    @property
    def current(self) -> str | None:
        return self.history[-1] if self.history else None

    @property
    def previous(self) -> str | None:
        return self.history[-2] if len(self.history) > 1 else None

    def to_json(self) -> bytes:
        document = {
            "format": FORMAT,
            "current": self.current,
            "previous": self.previous,
            "history": self.history,
            "updated_at": self.updated_at,
        }
        return (json.dumps(document, indent=2) + "\n").encode()


def read_pointer(store: ObjectStore, key: str) -> tuple[Pointer, str | None]:
    """The pointer and its change token (``None`` token: never written)."""
    found = store.read_versioned(key)
    if found is None:
        return Pointer(), None
    data, token = found
    return parse_pointer(data, f"{store.uri}/{key}"), token


def parse_pointer(data: bytes, where: str) -> Pointer:
    try:
        document = json.loads(data)
        return Pointer(history=list(document["history"]), updated_at=document.get("updated_at", ""))
    except (ValueError, KeyError, TypeError):
        raise UserInputError(f"{where}: not a pointer document") from None


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def advance(store: ObjectStore, key: str, version: str, *, expected_current: str | None) -> Pointer:
    """Make ``version`` live, but only if ``expected_current`` is still the live version.

    ``expected_current`` is what the caller built on (a version's parent); checking it
    and then swapping against the token read closes the race between the two.
    """
    pointer, token = read_pointer(store, key)
    if pointer.current == version:
        return pointer
    if pointer.current != expected_current:
        raise ConflictError(
            f"{key}: live version is {pointer.current or 'none'}, not {expected_current or 'none'} "
            f"(another commit won); cannot make {version} live"
        )
    updated = Pointer(history=[*pointer.history, version][-HISTORY_LIMIT:], updated_at=_now())
    store.write_if(key, updated.to_json(), token)
    return updated


def step_back(store: ObjectStore, key: str) -> Pointer:
    """Make the previous live version live again."""
    pointer, token = read_pointer(store, key)
    if pointer.previous is None:
        raise UserInputError(f"{key}: no previous version to roll back to")
    updated = Pointer(history=pointer.history[:-1], updated_at=_now())
    store.write_if(key, updated.to_json(), token)
    return updated

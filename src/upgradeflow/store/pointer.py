"""The ``CURRENT`` pointer of a gallery or an index.

One small JSON object names the live version and keeps the recent history of live
versions, so rollback knows where to go. It only ever changes by compare-and-swap
against the token read, so two writers can never both believe they won, and a reader
sees one whole pointer or the other.
"""

from __future__ import annotations

import json
from collections.abc import Callable
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


def _move(store: ObjectStore, key: str, change: Callable[[Pointer], list[str]]) -> Pointer:
    """Read the pointer once, let ``change`` check it and give the new history, and write
    that by compare-and-swap against the token read: whatever ``change`` checked is still
    true when the write lands, or the write fails with ``ConflictError``."""
    pointer, token = read_pointer(store, key)
    history = change(pointer)
    if history == pointer.history:
        return pointer
    updated = Pointer(history=history[-HISTORY_LIMIT:], updated_at=_now())
    store.write_if(key, updated.to_json(), token)
    return updated


def _expect(key: str, pointer: Pointer, expected: str | None, action: str) -> None:
    if pointer.current != expected:
        raise ConflictError(
            f"{key}: live version is {pointer.current or 'none'}, not {expected or 'none'} "
            f"(someone else moved it); cannot {action}"
        )


def advance(store: ObjectStore, key: str, version: str, *, expected_current: str | None) -> Pointer:
    """Commit: make ``version`` live, but only if ``expected_current`` is still the live version.

    ``expected_current`` is what the caller built on (a version's parent). A commit
    re-run once ``version`` is live changes nothing: the version names its parent, so it
    cannot have gone live on top of anything else.
    """

    def change(pointer: Pointer) -> list[str]:
        if pointer.current == version:
            return pointer.history
        _expect(key, pointer, expected_current, f"make {version} live")
        return [*pointer.history, version]

    return _move(store, key, change)


def swap(store: ObjectStore, key: str, version: str, *, expected_current: str | None) -> Pointer:
    """Make ``version`` live in place of ``expected_current``, refusing whenever that is
    not the live version, even if ``version`` already is: the caller's picture of what is
    live is wrong. Expecting ``version`` itself while it is live changes nothing (a
    re-run that finds its own swap done)."""

    def change(pointer: Pointer) -> list[str]:
        _expect(key, pointer, expected_current, f"make {version} live")
        return pointer.history if version == expected_current else [*pointer.history, version]

    return _move(store, key, change)


def step_back(store: ObjectStore, key: str, *, expected_current: str | None = None, steps: int = 1) -> Pointer:
    """Make the version live ``steps`` moves ago live again, in one compare-and-swap.

    With ``expected_current`` it refuses unless that is the live version, so callers that
    saw the same live version roll back once between them, not once each.
    """

    def change(pointer: Pointer) -> list[str]:
        if expected_current is not None:
            _expect(key, pointer, expected_current, "roll back")
        if len(pointer.history) <= steps:
            raise UserInputError(f"{key}: no previous version to roll back to")
        return pointer.history[:-steps]

    return _move(store, key, change)

"""A named series of immutable versions with one ``CURRENT`` pointer.

Galleries and indexes share this shape: ``<root>/<name>/versions/<v>/manifest.json``
written once when a version is sealed, and a pointer moved only by compare-and-swap.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable

from upgradeflow.errors import ConflictError, UserInputError
from upgradeflow.store import pointer as pointers
from upgradeflow.store.manifest import check_name, parse_object
from upgradeflow.store.object_store import ObjectStore, join


class VersionedSeries:
    kind = "series"  # names the series in errors: "gallery", "index"
    root = ""  # top-level folder: "galleries", "indexes"
    no_live_hint = ""  # what to do when nothing is live yet
    sealed_word = "sealed"  # what a version with a manifest is called
    # Checks a parsed manifest (document, where) and returns it; a kind with a known
    # layout refuses a corrupt one here, before anything reads a shard through it.
    check_manifest: Callable[[dict, str], dict] = staticmethod(lambda document, where: document)

    def __init__(self, store: ObjectStore, name: str):
        self.store = store
        self.name = check_name(self.kind, name)
        self.prefix = join(self.root, name)
        self.pointer_key = join(self.prefix, "CURRENT")

    def version_key(self, version: str, *parts: str) -> str:
        """The key of ``parts`` inside ``version``: every key of a version is made here,
        so a version name that could leave the series (``../..``) is refused before any
        read or write."""
        return join(self.prefix, "versions", check_name("version", version), *parts)

    def where(self, version: str | None = None) -> str:
        return f"{self.store.uri}/{self.prefix}" + (f" version {version}" if version else "")

    def pointer(self) -> pointers.Pointer:
        return pointers.read_pointer(self.store, self.pointer_key)[0]

    def resolve(self, version: str | None) -> str:
        """``version`` if given, else the live one."""
        if version:
            return check_name("version", version)
        live = self.pointer().current
        if live is None:
            raise UserInputError(f"{self.where()}: no live {self.no_live_hint}")
        return live

    def is_sealed(self, version: str) -> bool:
        return self.store.exists(self.version_key(version, "manifest.json"))

    def manifest(self, version: str | None = None) -> dict:
        version = self.resolve(version)
        key = self.version_key(version, "manifest.json")
        try:
            data = self.store.read(key)
        except FileNotFoundError:
            raise UserInputError(f"{self.where(version)}: no such {self.sealed_word} version") from None
        where = f"{self.store.uri}/{key}"
        return self.check_manifest(parse_object(data, where), where)

    def write_manifest(self, version: str, document: dict) -> dict:
        """Write the manifest once; a concurrent sealer of the same shards may have won."""
        with contextlib.suppress(ConflictError):
            self.store.write_if(
                self.version_key(version, "manifest.json"), json.dumps(document, indent=2).encode(), None
            )
        return self.manifest(version)

    def version_names(self) -> list[str]:
        """Every version with anything stored, sealed or not."""
        return sorted({k.split("/")[3] for k in self.store.list(join(self.prefix, "versions"))})

    def state(self, version: str, pointer: pointers.Pointer) -> str:
        return {pointer.current: "live", pointer.previous: "previous"}.get(version, self.sealed_word)

    def rollback(self, expected_current: str | None = None, *, steps: int = 1) -> pointers.Pointer:
        """Make the version live ``steps`` moves ago live again, in one compare-and-swap;
        with ``expected_current``, only while that is the live version, so rollbacks that
        saw the same live version move the pointer back once, not once each. A version
        whose data gc has deleted is refused: the history outlives what gc keeps."""
        history = self.pointer().history
        if len(history) > steps and not self.is_sealed(target := history[-steps - 1]):
            raise UserInputError(f"{self.where(target)}: its data has been deleted (by gc); cannot roll back to it")
        return pointers.step_back(self.store, self.pointer_key, expected_current=expected_current, steps=steps)

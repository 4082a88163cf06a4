"""What a gallery version is made of: per-shard records, the staging plan, the manifest.

Each document is checked whole when it is read, so a corrupt one (truncated, retyped,
missing a key) is a one-line error naming its key before any shard is read, instead of
a traceback from deep inside whatever used it first.
"""

from __future__ import annotations

import json
import re
from dataclasses import MISSING, asdict, dataclass, field, fields

from upgradeflow.errors import UserInputError

GALLERY_FORMAT = "upgradeflow.gallery/1"
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


def check_name(kind: str, value: str) -> str:
    if not NAME.match(value):
        raise UserInputError(f"{kind} name {value!r}: use letters, digits, '.', '_' or '-' (at most 128)")
    return value


@dataclass(frozen=True)
class ShardRecord:
    """Written beside each finished shard; its presence marks the shard done."""

    index: int
    path: str
    rows: int
    bytes: int
    sha256: str
    dimension: int
    schema: dict[str, str]
    source_sha256: str | None = None  # the input shard a transform read
    producer_sha256: str | None = None  # the transform (adapter, model) that wrote it

    def to_json(self) -> bytes:
        return (json.dumps(asdict(self), indent=2) + "\n").encode()

    @classmethod
    def from_json(cls, data: bytes, where: str) -> ShardRecord:
        return cls.from_document(parse_object(data, where), where)

    @classmethod
    def from_document(cls, document: dict, where: str) -> ShardRecord:
        record = cls(**checked_fields(cls, document, where))
        for name in ("index", "rows", "bytes"):
            at_least(where, name, getattr(record, name), 0)
        at_least(where, "dimension", record.dimension, 1)
        if record.path.startswith("/") or {"", ".", ".."} & set(record.path.split("/")):
            raise corrupt(where, f"'path' {record.path!r} leaves its version's folder")
        return record


@dataclass(frozen=True)
class Plan:
    """Fixed when staging starts: how many shards, built on which parent, by what."""

    shards: int
    parent: str | None
    producer: dict = field(default_factory=dict)

    def to_json(self) -> bytes:
        return (json.dumps(asdict(self), indent=2, sort_keys=True) + "\n").encode()

    @classmethod
    def from_json(cls, data: bytes, where: str) -> Plan:
        plan = cls(**checked_fields(cls, parse_object(data, where), where))
        at_least(where, "shards", plan.shards, 1)
        return plan


# The field types a document may hold, by the annotation written on the dataclass.
FIELD_TYPES: dict[str, tuple[type, ...]] = {
    "int": (int,),
    "str": (str,),
    "str | None": (str, type(None)),
    "dict": (dict,),
    "dict[str, str]": (dict,),
}
MANIFEST_FIELDS: dict[str, tuple[type, ...]] = {
    "format": (str,),
    "gallery": (str,),
    "version": (str,),
    "parent": (str, type(None)),
    "producer": (dict,),
    "state": (str,),
    "created_at": (str,),
    "dimension": (int,),
    "schema": (dict,),
    "rows": (int,),
    "shards": (list,),
}


def corrupt(where: str, problem: str) -> UserInputError:
    return UserInputError(f"{where}: corrupt metadata: {problem}")


def parse_object(data: bytes, where: str) -> dict:
    """``data`` as a JSON object, or the one-line error that names ``where``."""
    try:
        document = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise corrupt(where, f"not valid JSON ({error})") from None
    if not isinstance(document, dict):
        raise corrupt(where, f"not a JSON object (a {type(document).__name__})")
    return document


def check_types(document: dict, types: dict[str, tuple[type, ...]], where: str) -> dict:
    """``document`` if it holds every key of ``types`` with a value of its type. ``bool``
    is no ``int`` here: JSON's ``true`` is not a count."""
    missing = [name for name in types if name not in document]
    if missing:
        raise corrupt(where, f"missing '{missing[0]}'")
    for name, allowed in types.items():
        value = document[name]
        if isinstance(value, bool) or not isinstance(value, allowed):
            expected = " or ".join("null" if t is type(None) else t.__name__ for t in allowed)
            raise corrupt(where, f"'{name}' must be {expected}, got {type(value).__name__}")
    return document


def checked_fields(cls: type, document: dict, where: str) -> dict:
    """``document`` checked against dataclass ``cls``: each field without a default
    present, every field present of its annotated type, and no key ``cls`` lacks."""
    types = {f.name: FIELD_TYPES[f.type] for f in fields(cls)}
    unknown = [name for name in document if name not in types]
    if unknown:
        raise corrupt(where, f"unknown '{unknown[0]}'")
    required = {f.name for f in fields(cls) if f.default is MISSING and f.default_factory is MISSING}
    return check_types(document, {n: t for n, t in types.items() if n in document or n in required}, where)


def at_least(where: str, name: str, value: int, minimum: int) -> None:
    if value < minimum:
        raise corrupt(where, f"'{name}' must be at least {minimum}, got {value}")


def check_manifest(document: dict, where: str) -> dict:
    """A gallery manifest whose every field and shard entry has its type: what readers
    index into (rows, shards, each shard's path and checksum) is there."""
    check_types(document, MANIFEST_FIELDS, where)
    at_least(where, "dimension", document["dimension"], 1)
    at_least(where, "rows", document["rows"], 0)
    for position, entry in enumerate(document["shards"]):
        at = f"{where} shards[{position}]"
        if not isinstance(entry, dict):
            raise corrupt(at, f"not a JSON object (a {type(entry).__name__})")
        ShardRecord.from_document(entry, at)
    return document


def manifest_document(name: str, version: str, plan: Plan, shards: list[ShardRecord], created_at: str) -> dict:
    first = shards[0]
    return {
        "format": GALLERY_FORMAT,
        "gallery": name,
        "version": version,
        "parent": plan.parent,
        "producer": plan.producer,
        "state": "committed",
        "created_at": created_at,
        "dimension": first.dimension,
        "schema": first.schema,
        "rows": sum(s.rows for s in shards),
        "shards": [asdict(s) for s in shards],
    }

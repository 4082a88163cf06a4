"""What a gallery version is made of: per-shard records, the staging plan, the manifest."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field

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
    def from_json(cls, data: bytes) -> ShardRecord:
        return cls(**json.loads(data))


@dataclass(frozen=True)
class Plan:
    """Fixed when staging starts: how many shards, built on which parent, by what."""

    shards: int
    parent: str | None
    producer: dict = field(default_factory=dict)

    def to_json(self) -> bytes:
        return (json.dumps(asdict(self), indent=2, sort_keys=True) + "\n").encode()

    @classmethod
    def from_json(cls, data: bytes) -> Plan:
        return cls(**json.loads(data))


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

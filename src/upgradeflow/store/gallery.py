"""Versioned galleries of embedding shards.

A version is staged shard by shard (each shard published whole, then its record), sealed
by writing ``manifest.json`` once, and made live by a compare-and-swap of ``CURRENT``.
Committing checks everything first (checksums, one schema, one dimension, unique ids),
so bad data never becomes a live version, and a version can only go live on top of the
parent it was built from, so two upgrades can never silently overwrite each other.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from tqdm import tqdm

from upgradeflow.errors import ConflictError, UserInputError
from upgradeflow.store import pointer as pointers
from upgradeflow.store.hashing_file import HashingFile
from upgradeflow.store.manifest import Plan, ShardRecord, check_manifest, check_name, manifest_document
from upgradeflow.store.shard_format import file_sha256, open_writer, schema_signature
from upgradeflow.store.versioned import VersionedSeries


@dataclass(frozen=True)
class VersionInfo:
    version: str
    state: str  # live, previous, committed or staged
    rows: int
    shards: str  # "8" when committed, "3/8" while staged
    parent: str | None
    producer: str
    created_at: str


def corrupt_shard(where: str, index: int) -> UserInputError:
    return UserInputError(f"{where}: shard {index} is corrupt (checksum mismatch)")


def shard_name(index: int) -> str:
    return f"shard-{index:05d}"


class Gallery(VersionedSeries):
    kind = "gallery"
    root = "galleries"
    no_live_hint = "version (import and commit one first)"
    sealed_word = "committed"
    check_manifest = staticmethod(check_manifest)

    def _shard_key(self, version: str, index: int, suffix: str) -> str:
        return self.version_key(version, "shards", shard_name(index) + suffix)

    def is_committed(self, version: str) -> bool:
        return self.is_sealed(version)

    def plan(self, version: str) -> Plan | None:
        key = self.version_key(version, "plan.json")
        try:
            return Plan.from_json(self.store.read(key), f"{self.store.uri}/{key}")
        except FileNotFoundError:
            return None

    def finished_shard(self, version: str, index: int) -> ShardRecord | None:
        key = self._shard_key(version, index, ".json")
        try:
            return ShardRecord.from_json(self.store.read(key), f"{self.store.uri}/{key}")
        except FileNotFoundError:
            return None

    def finished_shard_keys(self, version: str) -> frozenset[str]:
        """The keys of the shard records of ``version`` written so far: one listing, so a
        watcher can tell whether a shard finished without reading any record."""
        return frozenset(k for k in self.store.list(self.version_key(version, "shards")) if k.endswith(".json"))

    def shard_record_keys(self, version: str, indices: tuple[int, ...]) -> frozenset[str]:
        """The record keys of shards ``indices`` of ``version``, as ``finished_shard_keys`` names them."""
        return frozenset(self._shard_key(version, index, ".json") for index in indices)

    def finished_shards(self, version: str, keys: frozenset[str] | None = None) -> dict[int, ShardRecord]:
        """Records of the shards of ``version`` written so far (or those named by ``keys``),
        by index (its progress)."""
        keys = self.finished_shard_keys(version) if keys is None else keys
        records = [ShardRecord.from_json(self.store.read(k), f"{self.store.uri}/{k}") for k in sorted(keys)]
        return {r.index: r for r in records}

    def versions(self) -> list[VersionInfo]:
        pointer = self.pointer()
        rows = []
        for version in self.version_names():
            if self.is_committed(version):
                m = self.manifest(version)
                rows.append(
                    VersionInfo(
                        version,
                        self.state(version, pointer),
                        m["rows"],
                        str(len(m["shards"])),
                        m["parent"],
                        m["producer"].get("kind", ""),
                        m["created_at"],
                    )
                )
            elif (plan := self.plan(version)) is not None:
                done = self.finished_shards(version)
                rows.append(
                    VersionInfo(
                        version,
                        "staged",
                        sum(r.rows for r in done.values()),
                        f"{len(done)}/{plan.shards}",
                        plan.parent,
                        plan.producer.get("kind", ""),
                        "",
                    )
                )
        return sorted(rows, key=lambda v: (v.created_at or "~", v.version))

    @contextlib.contextmanager
    def open_shard(self, version: str, index: int, *, verify: bool = True) -> Iterator[tuple[Path, dict]]:
        """A local copy of one committed shard and its manifest entry, checksum-verified
        unless the caller verifies it itself (``verify=False``)."""
        shards = self.manifest(version)["shards"]
        if not 0 <= index < len(shards):
            raise UserInputError(f"{self.where(version)}: no shard {index} (it has {len(shards)})")
        entry = shards[index]
        with self._verified_copy(version, index, entry["path"], entry["sha256"] if verify else None) as path:
            yield path, entry

    def open_staged_shard(self, version: str, record: ShardRecord) -> contextlib.AbstractContextManager[Path]:
        """A checksum-verified local copy of a finished shard of a version still staged
        (one a backfill is filling), found by its record instead of a manifest."""
        return self._verified_copy(version, record.index, record.path, record.sha256)

    @contextlib.contextmanager
    def _verified_copy(self, version: str, index: int, path: str, sha256: str | None) -> Iterator[Path]:
        """A local copy of one shard file, checked against ``sha256`` unless it is None;
        a missing or corrupt shard is the user's one-line error."""
        key = self.version_key(version, path)
        try:
            with self.store.local_copy(key) as local:
                if sha256 is not None and file_sha256(local) != sha256:
                    raise corrupt_shard(self.where(version), index)
                yield local
        except FileNotFoundError:
            raise UserInputError(f"{self.where(version)}: shard {index} is missing ({key})") from None

    # -- staging --------------------------------------------------------------------
    def stage(self, version: str, plan: Plan) -> None:
        """Record the plan once; every shard writer of the version must agree with it."""
        check_name("version", version)
        if self.is_committed(version):
            raise UserInputError(f"{self.where(version)}: already committed; versions are immutable")
        existing = self.plan(version)
        if existing is None:
            with contextlib.suppress(ConflictError):
                self.store.write_if(self.version_key(version, "plan.json"), plan.to_json(), None)
            existing = self.plan(version)
        if existing != plan:
            raise UserInputError(
                f"{self.where(version)}: already staged from {existing.parent} by {existing.producer}; "
                "choose another version name"
            )

    def write_shard(
        self,
        version: str,
        index: int,
        batches: Iterable[pa.RecordBatch],
        schema: pa.Schema,
        *,
        source_sha256: str | None = None,
        producer_sha256: str | None = None,
    ) -> ShardRecord:
        """Publish one shard whole, then its record; a crash in between leaves it unfinished."""
        data_key = self._shard_key(version, index, ".parquet")
        rows = 0
        with self.store.publish(data_key) as tmp, HashingFile(tmp) as sink, open_writer(sink, schema) as writer:
            for batch in batches:
                writer.write_batch(batch)
                rows += batch.num_rows
        record = ShardRecord(
            index=index,
            path=f"shards/{shard_name(index)}.parquet",
            rows=rows,
            bytes=sink.size,
            sha256=sink.hexdigest(),
            dimension=schema.field("embedding").type.list_size,
            schema=schema_signature(schema),
            source_sha256=source_sha256,
            producer_sha256=producer_sha256,
        )
        self.store.write(self._shard_key(version, index, ".json"), record.to_json())
        return record

    def discard(self, version: str) -> None:
        """Delete a staged (never committed) version."""
        if self.is_committed(version):
            raise UserInputError(f"{self.where(version)}: committed versions are removed by gc, not discard")
        self.store.delete(self.store.list(self.version_key(version)))

    # -- committing -----------------------------------------------------------------
    def seal(self, version: str, *, verify: bool = True, progress: bool = False) -> dict:
        """Check a staged version end to end and write its manifest (once, immutably)."""
        if self.is_committed(version):
            return self.manifest(version)
        plan = self.plan(version)
        if plan is None:
            raise UserInputError(f"{self.where(version)}: nothing staged under this version")
        records = self.finished_shards(version)
        missing = [i for i in range(plan.shards) if i not in records]
        if missing:
            raise UserInputError(
                f"{self.where(version)}: {len(missing)} of {plan.shards} shards not finished (first: {missing[0]})"
            )
        shards = [records[i] for i in range(plan.shards)]
        for record in shards[1:]:
            if record.dimension != shards[0].dimension or record.schema != shards[0].schema:
                raise UserInputError(
                    f"{self.where(version)}: shard {record.index} has schema {record.schema}, "
                    f"shard 0 has {shards[0].schema}"
                )
        if verify:
            self._verify(version, shards, progress)
        document = manifest_document(self.name, version, plan, shards, datetime.now(UTC).isoformat())
        return self.write_manifest(version, document)

    def _verify(self, version: str, shards: list[ShardRecord], progress: bool) -> None:
        ids = []
        for record in tqdm(shards, desc=f"verify {version}", unit="shard", disable=not progress):
            with self.open_staged_shard(version, record) as path:
                metadata = pq.read_metadata(path)
                if metadata.num_rows != record.rows:
                    raise UserInputError(f"{self.where(version)}: shard {record.index} row count differs")
                ids.append(pq.read_table(path, columns=["id"]).column("id"))
        every_id = pa.chunked_array([chunk for column in ids for chunk in column.chunks], pa.string())
        distinct = pc.count_distinct(every_id).as_py()
        if distinct != len(every_id):
            counts = pc.value_counts(every_id)
            duplicate = next(str(v["values"]) for v in counts.to_pylist() if v["counts"] > 1)
            raise UserInputError(
                f"{self.where(version)}: {len(every_id) - distinct} duplicate ids (for example {duplicate!r})"
            )

    def commit(self, version: str, *, verify: bool = True, progress: bool = False) -> pointers.Pointer:
        """Seal ``version`` and make it live, if its parent is still the live version."""
        manifest = self.seal(version, verify=verify, progress=progress)
        return pointers.advance(self.store, self.pointer_key, version, expected_current=manifest["parent"])

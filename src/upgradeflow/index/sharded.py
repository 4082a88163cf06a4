"""Versioned FAISS indexes over a gallery version, one index per gallery shard.

Layout mirrors galleries: ``indexes/<name>/versions/<v>/manifest.json``,
``shards/shard-NNNNN.faiss`` and ``.ids.parquet`` (row ids in index order), and a
``CURRENT`` pointer moved only by compare-and-swap, so ``swap`` and ``rollback`` are one
atomic write each and a searcher loads one whole index version.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import EllipsisType

import faiss
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from tqdm import tqdm

from upgradeflow.errors import ConflictError, UserInputError
from upgradeflow.index.spec import IndexSpec
from upgradeflow.store import pointer as pointers
from upgradeflow.store.gallery import Gallery, shard_name
from upgradeflow.store.manifest import at_least, check_name, check_types, corrupt, parse_object
from upgradeflow.store.shard_format import embeddings_of, file_sha256
from upgradeflow.store.versioned import VersionedSeries

INDEX_FORMAT = "upgradeflow.index/1"
# Each file of an index shard and the manifest field holding its checksum.
SHARD_FILES = {".faiss": "faiss_sha256", ".ids.parquet": "ids_sha256"}


INDEX_MANIFEST_FIELDS = {
    "gallery": (str,), "gallery_version": (str,), "dimension": (int,), "rows": (int,), "spec": (dict,),
    "shards": (list,),
}  # fmt: skip
SHARD_RECORD_FIELDS = {
    "index": (int,), "rows": (int,), "faiss_sha256": (str,), "ids_sha256": (str,), "gallery_sha256": (str,),
    "spec": (dict,),
}  # fmt: skip


def check_spec(document: dict, where: str) -> IndexSpec:
    try:
        return IndexSpec(**document)
    except (TypeError, UserInputError) as error:
        raise corrupt(where, f"bad index spec ({error})") from None


def check_shard_record(document: object, where: str) -> dict:
    """An index shard's record (from a build, or an entry of a manifest) with what
    loading and verifying read: its number, rows, both checksums and its spec."""
    if not isinstance(document, dict):
        raise corrupt(where, f"not a JSON object (a {type(document).__name__})")
    check_types(document, SHARD_RECORD_FIELDS, where)
    at_least(where, "index", document["index"], 0)
    at_least(where, "rows", document["rows"], 0)
    check_spec(document["spec"], where)
    return document


def check_index_manifest(document: dict, where: str) -> dict:
    """An index manifest whose fields and shard records have their types, so a corrupt
    one is a one-line error before any shard is read through it."""
    check_types(document, INDEX_MANIFEST_FIELDS, where)
    at_least(where, "dimension", document["dimension"], 1)
    check_spec(document["spec"], where)
    for position, entry in enumerate(document["shards"]):
        check_shard_record(entry, f"{where} shards[{position}]")
    return document


def index_version_name(gallery_version: str, spec: IndexSpec) -> str:
    """The default name of a gallery version's index: every step of an upgrade derives it."""
    return f"{gallery_version}.{spec.kind}"


class IndexCatalog(VersionedSeries):
    """The versions and the live pointer of one named index."""

    kind = "index"
    root = "indexes"
    no_live_hint = "index version (build and swap one first)"
    sealed_word = "built"
    check_manifest = staticmethod(check_index_manifest)

    def versions(self) -> list[dict]:
        pointer = self.pointer()
        rows = []
        for version in self.version_names():
            if not self.is_sealed(version):
                continue
            m = self.manifest(version)
            rows.append(
                {
                    "version": version,
                    "state": self.state(version, pointer),
                    "kind": m["spec"]["kind"],
                    "rows": m["rows"],
                    "shards": len(m["shards"]),
                    "gallery": f"{m['gallery']}@{m['gallery_version']}",
                }
            )
        return rows

    def _record(self, key: str) -> dict:
        where = f"{self.store.uri}/{key}"
        return check_shard_record(parse_object(self.store.read(key), where), where)

    def build_shard(self, gallery: Gallery, gallery_version: str, version: str, index: int, spec: IndexSpec) -> bool:
        """Build one shard's index unless an identical one is finished; True if built."""
        record_key = self.version_key(version, "shards", shard_name(index) + ".json")
        gallery_sha = gallery.manifest(gallery_version)["shards"][index]["sha256"]
        if self.store.exists(record_key):
            record = self._record(record_key)
            if record["gallery_sha256"] == gallery_sha and record["spec"] == spec.to_dict():
                return False
        with gallery.open_shard(gallery_version, index) as (path, _):
            table = pq.read_table(path, columns=["id", "embedding"])
        index_obj = spec.build(embeddings_of(table))
        blob = faiss.serialize_index(index_obj).tobytes()
        ids_key = self.version_key(version, "shards", shard_name(index) + ".ids.parquet")
        with self.store.publish(ids_key) as tmp:
            pq.write_table(pa.table({"id": table.column("id")}), tmp)
            ids_sha = file_sha256(tmp)
        self.store.write(self.version_key(version, "shards", shard_name(index) + ".faiss"), blob)
        record = {
            "index": index,
            "rows": table.num_rows,
            "faiss_sha256": hashlib.sha256(blob).hexdigest(),
            "ids_sha256": ids_sha,
            "gallery_sha256": gallery_sha,
            "spec": spec.to_dict(),
        }
        self.store.write(record_key, json.dumps(record, indent=2).encode())
        return True

    def build(
        self,
        gallery: Gallery,
        gallery_version: str | None = None,
        version: str | None = None,
        spec: IndexSpec | None = None,
        *,
        shard: int | None = None,
        progress: bool = True,
    ) -> tuple[str, dict | None]:
        """Build all shards (or one, for a mapped task); seal the manifest once all exist."""
        spec = spec or IndexSpec()
        gallery_version = gallery.resolve(gallery_version)
        gallery_manifest = gallery.manifest(gallery_version)
        version = check_name("version", version or index_version_name(gallery_version, spec))
        count = len(gallery_manifest["shards"])
        if shard is not None and not 0 <= shard < count:
            raise UserInputError(f"{gallery.where(gallery_version)}: no shard {shard} (it has {count})")
        if self.is_sealed(version):
            existing = self.manifest(version)
            if existing["gallery_version"] != gallery_version or existing["spec"] != spec.to_dict():
                raise UserInputError(f"{self.where(version)}: already built from other inputs; choose another name")
            return version, existing
        todo = [shard] if shard is not None else list(range(count))
        for index in tqdm(todo, desc=f"index {version}", unit="shard", disable=not progress):
            self.build_shard(gallery, gallery_version, version, index, spec)
        return version, self.seal(gallery, gallery_version, version, spec)

    def seal(self, gallery: Gallery, gallery_version: str, version: str, spec: IndexSpec) -> dict | None:
        gallery_manifest = gallery.manifest(gallery_version)
        records = []
        for index in range(len(gallery_manifest["shards"])):
            key = self.version_key(version, "shards", shard_name(index) + ".json")
            if not self.store.exists(key):
                return None
            records.append(self._record(key))
        document = {
            "format": INDEX_FORMAT,
            "index": self.name,
            "version": version,
            "gallery": gallery.name,
            "gallery_version": gallery_version,
            "dimension": gallery_manifest["dimension"],
            "rows": sum(r["rows"] for r in records),
            "spec": spec.to_dict(),
            "created_at": datetime.now(UTC).isoformat(),
            "shards": records,
        }
        return self.write_manifest(version, document)

    @contextlib.contextmanager
    def verified_file(self, version: str, record: dict, suffix: str) -> Iterator[Path]:
        """A local copy of one shard's index or ids file, checked against the checksum its
        build recorded. An ids file in another order is still valid Parquet but maps every
        hit to the wrong item, so only the checksum can tell; a missing or altered file is
        a one-line error instead of a wrong answer or a traceback."""
        name = shard_name(record["index"]) + suffix
        key = self.version_key(version, "shards", name)
        try:
            with self.store.local_copy(key) as path:
                if file_sha256(path) != record[SHARD_FILES[suffix]]:
                    raise UserInputError(f"{self.where(version)}: index file {name} is corrupt (checksum)")
                yield path
        except FileNotFoundError:
            raise UserInputError(f"{self.where(version)}: index file {name} is missing ({key})") from None

    def verify(self, version: str) -> dict:
        """Check every file of a built version against its manifest; the manifest if all hold."""
        manifest = self.manifest(version)
        for record in manifest["shards"]:
            for suffix in SHARD_FILES:
                with self.verified_file(version, record, suffix):
                    pass
        return manifest

    def check_built_on(self, version: str | None, gallery_version: str | None) -> None:
        """Refuse (``ConflictError``) unless index ``version`` was built from ``gallery_version``.

        A pipeline step replaces the index over the gallery version it built on; a live
        index over any other version means someone (a rollback) moved it since, and
        swapping over it would undo that. No index at all has nothing to undo.
        """
        if version is None:
            return
        built_on = self.manifest(version)["gallery_version"]
        if built_on != gallery_version:
            raise ConflictError(
                f"{self.where()}: live index {version} is built on {built_on}, not {gallery_version} "
                "(someone else moved it); refusing to swap over it"
            )

    def swap(self, version: str, *, expected_current: str | EllipsisType | None = ...) -> pointers.Pointer:
        """Make a built version live once every file checks out, so no searcher started
        later can find the pointer naming an index it cannot load.

        ``expected_current`` is the version the caller replaces (``None``: nothing may be
        live yet): the swap refuses unless it is live, even when ``version`` already is
        (``pointers.swap``). Left out, the swap replaces whatever is live now, still by
        compare-and-swap against the pointer read (and changes nothing when that is
        ``version``).
        """
        self.verify(version)
        if expected_current is ...:
            expected_current = self.pointer().current
        return pointers.swap(self.store, self.pointer_key, version, expected_current=expected_current)


@dataclass(frozen=True)
class RowFilter:
    """Per-shard FAISS parameters that leave out some rows of a loaded index (the items
    a backfill has already re-extracted). The bitmaps and selectors live here because
    FAISS holds only raw pointers to them."""

    excluded: int
    bitmaps: list[np.ndarray]
    selectors: list[faiss.IDSelector]
    parameters: list[faiss.SearchParameters]


@dataclass
class ShardedIndex:
    """A loaded index version: search every shard, merge the hits by score."""

    manifest: dict
    shards: list[faiss.Index]
    ids: np.ndarray  # every shard's row ids, in shard order: global row -> id

    @classmethod
    def load(cls, catalog: IndexCatalog, version: str | None = None) -> ShardedIndex:
        """Load every shard, each file verified as ``IndexCatalog.swap`` verifies it."""
        manifest = catalog.manifest(version)
        version = manifest["version"]
        spec = IndexSpec(**manifest["spec"])
        shards, ids = [], []
        for record in manifest["shards"]:
            with catalog.verified_file(version, record, ".faiss") as path:
                index = faiss.read_index(str(path))
            spec.configure(index)
            shards.append(index)
            with catalog.verified_file(version, record, ".ids.parquet") as path:
                ids.append(pq.read_table(path).column("id").to_numpy(zero_copy_only=False).astype(object))
        return cls(manifest, shards, np.concatenate(ids) if ids else np.array([], dtype=object))

    @property
    def dimension(self) -> int:
        return self.manifest["dimension"]

    def excluding(self, rows: np.ndarray) -> RowFilter:
        """A filter that leaves out the given global rows (positions in ``ids``)."""
        spec = IndexSpec(**self.manifest["spec"])
        allowed = np.ones(len(self.ids), dtype=bool)
        allowed[rows] = False
        bitmaps, selectors, parameters = [], [], []
        offset = 0
        for index in self.shards:
            bitmap = np.packbits(allowed[offset : offset + index.ntotal], bitorder="little")
            selector = faiss.IDSelectorBitmap(index.ntotal, faiss.swig_ptr(bitmap))
            bitmaps.append(bitmap)
            selectors.append(selector)
            parameters.append(spec.search_parameters(selector))
            offset += index.ntotal
        return RowFilter(int(len(allowed) - allowed.sum()), bitmaps, selectors, parameters)

    def search(self, queries: np.ndarray, k: int, row_filter: RowFilter | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` (scores, ids) per query over all shards, leaving out ``row_filter``'s
        rows; ties keep shard order, and missing hits are padded (-inf, None)."""
        if k < 1:
            raise UserInputError(f"k must be positive, got {k}")
        queries = np.ascontiguousarray(queries, dtype=np.float32)
        if queries.ndim != 2 or queries.shape[1] != self.dimension:
            raise UserInputError(f"queries have shape {queries.shape}, index holds {self.dimension}-d vectors")
        scores, rows = [], []
        offset = 0
        for shard, index in enumerate(self.shards):
            options = {"params": row_filter.parameters[shard]} if row_filter else {}
            found_scores, positions = index.search(queries, min(k, index.ntotal), **options)
            missing = positions < 0  # IVF cells can hold fewer than k vectors
            scores.append(np.where(missing, -np.inf, found_scores))
            rows.append(np.where(missing, -1, positions + offset))
            offset += index.ntotal
        scores_all, rows_all = np.concatenate(scores, axis=1), np.concatenate(rows, axis=1)
        order = np.argsort(-scores_all, axis=1, kind="stable")[:, :k]
        top_rows = np.take_along_axis(rows_all, order, axis=1)
        ids = np.where(top_rows >= 0, self.ids[np.maximum(top_rows, 0)], None)
        return np.take_along_axis(scores_all, order, axis=1), ids

"""Following the ``CURRENT`` pointers: poll, load in the background, switch atomically.

One thread polls the index pointer, the gallery pointer and the gallery's ``BACKFILL``
marker with their ETags (a conditional GET costs no body while nothing changed). When
the live index version or the backfill's published shards change, it loads the new state
beside the one being served and swaps one reference. A load that fails (a corrupt
shard, a missing object, an unreachable store) leaves the served snapshot alone and is
reported in ``/status`` and the metrics; it is retried when the pointer moves again or
after ``retry_seconds``.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pyarrow as pa

from upgradeflow.backfill.marker import marker_key, read_marker
from upgradeflow.backfill.progress import backfill_progress
from upgradeflow.errors import one_line
from upgradeflow.index.sharded import IndexCatalog, ShardedIndex
from upgradeflow.serve.backfill_part import BackfillPart, load_backfill_part
from upgradeflow.serve.query_model import load_query_model, resolved_name
from upgradeflow.serve.snapshot import Snapshot
from upgradeflow.store.gallery import Gallery
from upgradeflow.store.object_store import ObjectStore
from upgradeflow.store.pointer import parse_pointer

Listener = Callable[[str, dict], None]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@dataclass
class Watched:
    """One polled object: its last token and parsed value."""

    key: str
    token: str | None = None
    value: object = None


@dataclass
class LoadError:
    message: str
    at: str
    wanted: tuple  # the state that failed to load
    monotonic: float = field(default_factory=time.monotonic)


class LiveView:
    def __init__(
        self,
        store: ObjectStore,
        gallery: str,
        index: str,
        *,
        model_uri: str | None = None,
        poll_seconds: float = 2.0,
        retry_seconds: float = 30.0,
        listener: Listener | None = None,
    ) -> None:
        self.gallery = Gallery(store, gallery)
        self.catalog = IndexCatalog(store, index)
        self.model_uri = model_uri
        self.poll_seconds = poll_seconds
        self.retry_seconds = retry_seconds
        self.listener = listener or (lambda event, fields: None)
        self.snapshot: Snapshot | None = None
        self.error: LoadError | None = None
        self.checked_at: str | None = None
        self.switches = 0
        self._index_pointer = Watched(self.catalog.pointer_key)
        self._gallery_pointer = Watched(self.gallery.pointer_key)
        self._marker = Watched(marker_key(self.gallery))
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- polling --------------------------------------------------------------------
    def _poll(self, watched: Watched, parse: Callable[[bytes], object]) -> object:
        store = self.gallery.store
        try:
            found = store.read_if_changed(watched.key, watched.token)
        except FileNotFoundError:
            watched.token, watched.value = None, None
            return None
        if found is not None:
            watched.value, watched.token = parse(found[0]), found[1]
        return watched.value

    @property
    def gallery_live(self) -> str | None:
        return self._gallery_pointer.value

    def _backfill_wanted(self, gallery_version: str) -> tuple[str, frozenset[str]] | None:
        """The backfill of ``gallery_version`` in progress and its published shard records:
        shards written but not published are never searched."""
        marker = self._marker.value
        if marker is None or marker.source != gallery_version:
            return None
        return marker.target, self.gallery.shard_record_keys(marker.target, marker.shards)

    def refresh(self) -> bool:
        """One poll; True when a new snapshot went live."""
        index_version = self._poll(
            self._index_pointer, lambda data: parse_pointer(data, self.catalog.pointer_key).current
        )
        self._poll(self._gallery_pointer, lambda data: parse_pointer(data, self.gallery.pointer_key).current)
        self._poll(self._marker, read_marker)
        self.checked_at = _now()
        if index_version is None:
            return False
        served = self.snapshot
        gallery_version = (
            served.gallery_version
            if served is not None and served.index_version == index_version
            else self.catalog.manifest(index_version)["gallery_version"]
        )
        wanted = (index_version, self._backfill_wanted(gallery_version), self._model_wanted(served, index_version))
        if served is not None and wanted == self._served_state(served):
            self.error = None  # nothing pending: an earlier failure was overtaken
            return False
        failed = self.error
        if failed is not None and failed.wanted == wanted and time.monotonic() - failed.monotonic < self.retry_seconds:
            return False
        started = time.monotonic()
        try:
            snapshot = self._load(served, *wanted)
        except Exception as error:
            message = f"cannot load index {index_version}: {one_line(error)}"
            self.error = LoadError(message, _now(), wanted)
            self.listener("load_failed", {"index_version": index_version, "error": message})
            return False
        self.snapshot, self.error = snapshot, None
        self.switches += 1
        self.listener("switched", {**snapshot.describe(), "load_seconds": round(time.monotonic() - started, 3)})
        return True

    def _model_wanted(self, served: Snapshot | None, index_version: str) -> str | None:
        if self.model_uri is None:
            return None
        if served is not None and served.model is not None and served.index_version == index_version:
            return served.model.resolved  # an alias is resolved again only when the index changes
        return resolved_name(self.model_uri)

    @staticmethod
    def _served_state(served: Snapshot) -> tuple:
        backfill = served.backfill
        records = (backfill.version, backfill.record_keys) if backfill is not None else None
        return served.index_version, records, served.model.resolved if served.model else None

    def _load(
        self,
        served: Snapshot | None,
        index_version: str,
        backfill: tuple[str, frozenset[str]] | None,
        model_resolved: str | None,
    ) -> Snapshot:
        same_index = served is not None and served.index_version == index_version
        index = served.index if same_index else ShardedIndex.load(self.catalog, index_version)
        index_ids = served.index_ids if same_index else pa.array(index.ids, pa.string())
        part = None
        if backfill is not None:
            part = self._load_backfill(index, index_ids, *backfill, served.backfill if same_index else None)
        model = None
        if model_resolved is not None:
            kept = served.model if served is not None else None
            model = kept if kept is not None and kept.resolved == model_resolved else None
            model = model or load_query_model(self.model_uri, model_resolved)
            if model.dimension != index.dimension:
                raise ValueError(
                    f"query model {model_resolved} embeds {model.dimension}-d, the index holds {index.dimension}-d"
                )
        producer = (
            served.gallery_producer
            if same_index
            else self.gallery.manifest(index.manifest["gallery_version"]).get("producer", {})
        )
        return Snapshot(index, index_ids, part, model, producer, _now())

    def _load_backfill(
        self, index: ShardedIndex, index_ids: pa.Array, target: str, keys: frozenset[str], previous: BackfillPart | None
    ) -> BackfillPart:
        records = self.gallery.finished_shards(target, keys)
        progress = backfill_progress(self.gallery, target, records)
        part = load_backfill_part(self.gallery, progress, records, index, index_ids, previous)
        return dataclasses.replace(part, record_keys=keys)

    # -- the polling thread ---------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="live-view", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.refresh()
            except Exception as error:
                message = f"cannot poll {self.gallery.store.uri}: {one_line(error)}"
                self.error = LoadError(message, _now(), ())
                self.listener("poll_failed", {"error": message})
            self._stop.wait(self.poll_seconds)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    # -- reporting ------------------------------------------------------------------
    def status(self) -> dict:
        """What ``/status`` shows: what is served, what is live in storage, what failed."""
        snapshot = self.snapshot
        index = None
        if snapshot is not None:
            manifest = snapshot.index.manifest
            index = {
                "name": self.catalog.name,
                "version": snapshot.index_version,
                "kind": manifest["spec"]["kind"],
                "rows": manifest["rows"],
                "dimension": manifest["dimension"],
                "loaded_at": snapshot.loaded_at,
            }
        backfill = snapshot.backfill if snapshot is not None else None
        return {
            "ready": snapshot is not None,
            "index": index,
            "gallery": {
                "name": self.gallery.name,
                "live": self.gallery_live,
                "served": snapshot.gallery_version if snapshot is not None else None,
                # what wrote the served version: an import's model, an adapter, a backfill's model
                "served_producer": snapshot.gallery_producer if snapshot is not None else None,
            },
            "backfill": backfill.describe() if backfill is not None else None,
            "backfilled_fraction": round(backfill.fraction, 6) if backfill is not None else 0.0,
            "model": snapshot.model.describe() if snapshot is not None and snapshot.model else None,
            "last_error": {"message": self.error.message, "at": self.error.at} if self.error else None,
            "checked_at": self.checked_at,
            "poll_seconds": self.poll_seconds,
            "switches": self.switches,
        }

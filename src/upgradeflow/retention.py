"""Garbage collection of galleries and indexes: delete only what nothing can reach.

A version is still in use when a reader or a run may need it, whether or not a pointer
names it now:
- the live version and the rollback chain behind it (the pointer's history, up to
  ``keep`` versions back, never fewer than one, so a rollback always has data);
- a version sealed within the grace period but never live: a commit may be between
  sealing it and moving the pointer;
- for a gallery, every version an existing index version was built from (a replica
  starting from that index reads nothing else), the version a published backfill fills
  and the staged version it fills it into (searches merge its shards), and the parent
  of every staged version still being written.

Staged versions nobody has written to for the grace period are abandoned (a killed or
failed run): they are discarded, with the temporary files and incomplete multipart
uploads killed writers leave behind. Anything written within the grace period is
assumed to belong to a run still going. A killed command also leaves its scratch
directory in the temp directory of the host it ran on; gc removes those whose owner is
gone, as every pipeline step does, since a host that only runs commands has no other
sweeper.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from upgradeflow.backfill.marker import published_marker
from upgradeflow.errors import UserInputError
from upgradeflow.index.sharded import IndexCatalog
from upgradeflow.scratch import sweep_dead_scratch
from upgradeflow.store.gallery import Gallery
from upgradeflow.store.object_store import ObjectStore
from upgradeflow.store.versioned import VersionedSeries

GRACE_HOURS = 24.0


@dataclass(frozen=True)
class Collected:
    deleted: list[str]  # sealed versions nothing could reach
    discarded: list[str]  # staged versions abandoned for the grace period
    leftovers: int  # temporary files and incomplete uploads removed
    leftover_bytes: int
    scratch: int  # scratch directories of dead processes removed from this host's temp directory
    scratch_bytes: int

    def describe(self, name: str) -> str:
        parts = [f"deleted {len(self.deleted)} versions" + (f" ({', '.join(self.deleted)})" if self.deleted else "")]
        parts.append(f"discarded {len(self.discarded)} abandoned staged versions")
        parts.append(f"removed {self.leftovers} leftovers ({self.leftover_bytes} bytes)")
        parts.append(f"{self.scratch} dead scratch directories ({self.scratch_bytes} bytes)")
        return f"{name}: " + "; ".join(parts)


def _check(keep: int, grace_hours: float) -> None:
    if keep < 0:
        raise UserInputError(f"--keep must be >= 0, got {keep}")
    if not grace_hours >= 0:
        raise UserInputError(f"--grace-hours must be >= 0, got {grace_hours}")


def _collect(series: VersionedSeries, keep: int, grace_hours: float, in_use: set[str], staged_in_use) -> Collected:
    """Delete ``series``' versions outside ``in_use`` and its rollback chain that the
    rules above allow; ``staged_in_use(version)`` says whether a staged version is
    needed whatever its age."""
    cutoff = time.time() - grace_hours * 3600
    history = series.pointer().history
    protected = set(history[-(max(keep, 1) + 1) :]) | in_use
    deleted, discarded = [], []
    for version in series.version_names():
        if version in protected:
            continue
        changed = series.store.changed_at(series.version_key(version))
        recent = changed is not None and changed >= cutoff
        if series.is_sealed(version):
            if recent and version not in history:
                continue  # sealed, never live yet: a commit may be about to make it live
            manifest = series.version_key(version, "manifest.json")
            keys = series.store.list(series.version_key(version))
            # Manifest first: a half-deleted version then reads as staged, never as a broken commit.
            series.store.delete([manifest])
            series.store.delete([k for k in keys if k != manifest])
            deleted.append(version)
        elif not recent and not staged_in_use(version):
            series.store.delete(series.store.list(series.version_key(version)))
            discarded.append(version)
    count, size = series.store.sweep_leftovers(series.prefix, cutoff)
    return Collected(deleted, discarded, count, size, *sweep_dead_scratch())


def indexed_gallery_versions(store: ObjectStore, gallery: str) -> set[str]:
    """Every version of ``gallery`` that some index version in the store was built from."""
    names = {key.split("/")[1] for key in store.list(IndexCatalog.root) if key.count("/") >= 2}
    found = set()
    for name in names:
        catalog = IndexCatalog(store, name)
        for version in catalog.version_names():
            if catalog.is_sealed(version):
                manifest = catalog.manifest(version)
                if manifest["gallery"] == gallery:
                    found.add(manifest["gallery_version"])
    return found


def collect_gallery(gallery: Gallery, keep: int, grace_hours: float = GRACE_HOURS) -> Collected:
    _check(keep, grace_hours)
    in_use = indexed_gallery_versions(gallery.store, gallery.name)
    marker = published_marker(gallery)
    if marker is not None:
        in_use |= {marker.source, marker.target}
    cutoff = time.time() - grace_hours * 3600
    for version in gallery.version_names():
        if not gallery.is_sealed(version) and (plan := gallery.plan(version)) is not None:
            changed = gallery.store.changed_at(gallery.version_key(version))
            if changed is not None and changed >= cutoff:
                in_use.add(plan.parent)  # a run is still reading it
    return _collect(gallery, keep, grace_hours, in_use, lambda version: version in in_use)


def collect_index(catalog: IndexCatalog, keep: int, grace_hours: float = GRACE_HOURS) -> Collected:
    _check(keep, grace_hours)
    return _collect(catalog, keep, grace_hours, set(), lambda version: False)


def discard_staged(gallery: Gallery, version: str) -> None:
    """Delete a staged version now, whatever its age, unless it is committed or a
    published backfill's searches merge its shards."""
    marker = published_marker(gallery)
    if marker is not None and marker.target == version:
        raise UserInputError(f"{gallery.where(version)}: searches merge its published backfill shards; it is in use")
    if gallery.plan(version) is None and not gallery.is_sealed(version):
        raise UserInputError(f"{gallery.where(version)}: nothing staged under this version")
    gallery.discard(version)

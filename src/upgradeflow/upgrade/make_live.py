"""Make a sealed gallery version and its index live together: the last move of both the
evolution (commit_evolved) and the backfill (swap_backfilled)."""

from __future__ import annotations

from upgradeflow.errors import UserInputError
from upgradeflow.index.sharded import IndexCatalog, index_version_name
from upgradeflow.index.spec import IndexSpec
from upgradeflow.store.gallery import Gallery
from upgradeflow.store.lease import hold_lease
from upgradeflow.upgrade.run_context import UpgradeRun


def make_live(gallery: Gallery, catalog: IndexCatalog, version: str, index_version: str) -> dict:
    """Commit a sealed gallery version (only while its parent is live) and swap its index
    in (only in place of the live index built on that parent), each by compare-and-swap,
    so a rollback of either pointer meanwhile is refused with a conflict, never undone.

    A crash between the two leaves the gallery ahead of the index; a retry finds the
    gallery committed and the parent's index still live, and finishes the swap.
    """
    before = (gallery.pointer().current, catalog.pointer().current)
    if before[1] != index_version:
        catalog.check_built_on(before[1], gallery.manifest(version)["parent"])
    gallery_pointer = gallery.commit(version, verify=False)  # verified when sealed
    index_pointer = catalog.swap(index_version, expected_current=before[1])
    return {
        "gallery_version": gallery_pointer.current,
        "index_version": index_pointer.current,
        "changed": before != (gallery_pointer.current, index_pointer.current),
    }


def commit_evolved(
    run: UpgradeRun, gallery_name: str, index_name: str, spec: IndexSpec, lease_owner: str | None = None
) -> dict:
    """Seal the evolved version's index and make both live; nothing moves once the run's
    backfill has replaced the evolved version (that would undo it)."""
    gallery, target = run.evolution(gallery_name)
    catalog = IndexCatalog(run.store, index_name)
    if target.backfilled:
        live = (gallery.pointer().current, catalog.pointer().current)
        return {"gallery_version": live[0], "index_version": live[1], "changed": False}
    index_version = index_version_name(target.target, spec)
    if catalog.seal(gallery, target.target, index_version, spec) is None:
        raise UserInputError(f"{catalog.where(index_version)}: not every shard is indexed yet")
    hold_lease(gallery, lease_owner)
    return make_live(gallery, catalog, target.target, index_version)


def swap_backfilled(
    run: UpgradeRun, gallery_name: str, index_name: str, spec: IndexSpec, lease_owner: str | None = None
) -> dict:
    """Make the finished backfill and its index live in place of the evolved version."""
    gallery, target = run.backfill(gallery_name)
    catalog = IndexCatalog(run.store, index_name)
    hold_lease(gallery, lease_owner)
    return make_live(gallery, catalog, target.target, index_version_name(target.target, spec))

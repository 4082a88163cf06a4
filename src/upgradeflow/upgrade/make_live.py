"""Make a sealed gallery version and its index live together: the last move of both the
evolution (commit_evolved) and the backfill (swap_backfilled)."""

from __future__ import annotations

from upgradeflow.index.sharded import IndexCatalog
from upgradeflow.store.gallery import Gallery


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

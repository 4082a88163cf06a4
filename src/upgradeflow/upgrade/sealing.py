"""Closing a version the lanes wrote: check every shard and write its manifest, after
which the version can be committed; for the backfill, also build its whole index, since
the backfilled rows replace evolved ones in every shard."""

from __future__ import annotations

from upgradeflow.index.spec import IndexSpec
from upgradeflow.upgrade.run_context import UpgradeRun


def seal_evolved(run: UpgradeRun, gallery_name: str, progress: bool = False) -> dict:
    gallery, target = run.evolution(gallery_name)
    manifest = gallery.seal(target.target, progress=progress)
    return {"version": target.target, "rows": manifest["rows"], "shards": len(manifest["shards"])}


def seal_backfilled(
    run: UpgradeRun, gallery_name: str, index_name: str, spec: IndexSpec, progress: bool = False
) -> dict:
    from upgradeflow.index.sharded import IndexCatalog, index_version_name

    gallery, target = run.backfill(gallery_name)
    manifest = gallery.seal(target.target, progress=progress)
    version, _ = IndexCatalog(run.store, index_name).build(
        gallery, target.target, index_version_name(target.target, spec), spec, progress=progress
    )
    return {"version": target.target, "rows": manifest["rows"], "index_version": version}

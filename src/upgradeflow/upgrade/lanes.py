"""The fan-out of one upgrade run: how its gallery's shards are planned into lanes, and
what one mapped lane does (evolve, index or backfill its shards in order).

A lane opens the run from its key alone and skips the shards it already finished, so a
retried or re-run lane agrees with every other lane of the run without passed state.
"""

from __future__ import annotations

from upgradeflow.errors import UserInputError
from upgradeflow.fault_injection import fail_once
from upgradeflow.index.spec import IndexSpec
from upgradeflow.upgrade.run_context import UpgradeRun
from upgradeflow.upgrade.shard_plan import lane_label, plan_lanes


def _lanes(shards: int, source: str, target: str, concurrency: int, max_map_length: int) -> list[dict]:
    lanes = plan_lanes(shards, concurrency, max_map_length)
    return [{"shards": lane_label(lane), "source": source, "target": target} for lane in lanes]


def plan_evolution_lanes(run: UpgradeRun, gallery_name: str, concurrency: int, max_map_length: int) -> list[dict]:
    """The lanes evolving the live gallery version; none when the evolved one is live."""
    gallery, target = run.evolution(gallery_name)
    if target.done:
        return []
    shards = len(gallery.manifest(target.source)["shards"])
    return _lanes(shards, target.source, target.target, concurrency, max_map_length)


def plan_backfill_lanes(
    run: UpgradeRun,
    gallery_name: str,
    model_name: str,
    order: str,
    seed: int,
    concurrency: int,
    max_map_length: int,
    progress: bool = False,
) -> list[dict]:
    """Plan the backfill of the evolved version by the run's registered model (tracking
    already chosen), its order fixed once and kept for resumes, and its lanes; none when
    the backfilled version is live."""
    from upgradeflow.backfill.extraction import model_digest
    from upgradeflow.backfill.ordering import check_policy
    from upgradeflow.backfill.planning import BackfillRequest, plan_backfill
    from upgradeflow.registry.versions import find_version

    check_policy(order)
    gallery, target = run.backfill(gallery_name)
    if target.done:
        return []
    registered = find_version(model_name, run.key)
    if registered is None:
        raise UserInputError(f"run {run.key}: no registered version of {model_name}")
    model = run.new_model()
    request = BackfillRequest(registered.uri, model_digest(model), model.config.embedding_dim, order, seed)
    plan = plan_backfill(gallery, target.source, target.target, request, resume_policy=order, progress=progress)
    return _lanes(plan.shards, target.source, target.target, concurrency, max_map_length)


def evolve_lane(run: UpgradeRun, gallery_name: str, shards: list[int], progress: bool = False) -> dict:
    """Stream each shard of the lane through the run's forward adapter."""
    from upgradeflow.registry.model_package import FORWARD_ADAPTER_FILE
    from upgradeflow.upgrade.evolve import evolve_shard

    gallery, target = run.evolution(gallery_name)
    if target.done:
        return {"target": target.target, "shards": shards, "written": [], "done": True}
    adapter = run.files / f"{FORWARD_ADAPTER_FILE}.pt"
    written = []
    for position, index in enumerate(shards):
        _, _, worked = evolve_shard(gallery, adapter, target.source, index, target.target, progress=progress)
        if worked:
            written.append(index)
        if position == 0:
            fail_once("evolve_shard")
    return {"target": target.target, "shards": shards, "written": written, "done": False}


def build_index_lane(run: UpgradeRun, gallery_name: str, index_name: str, spec: IndexSpec, shards: list[int]) -> dict:
    """Index each evolved shard of the lane (none once the index version is sealed)."""
    from upgradeflow.index.sharded import IndexCatalog, index_version_name

    gallery, target = run.evolution(gallery_name)
    catalog = IndexCatalog(run.store, index_name)
    version = index_version_name(target.target, spec)
    built = [
        index
        for index in shards
        if not catalog.is_sealed(version) and catalog.build_shard(gallery, target.target, version, index, spec)
    ]
    return {"version": version, "built": built}


def backfill_lane(run: UpgradeRun, gallery_name: str, shards: list[int], data_dir, progress: bool = False) -> dict:
    """Re-extract each shard of the lane from its sources with the new model and publish
    it as it finishes, so searches merge it while the other lanes still run."""
    from upgradeflow.backfill.extraction import backfill_shard
    from upgradeflow.backfill.progress import backfill_progress
    from upgradeflow.backfill.publication import publish_backfill
    from upgradeflow.data.sources import SourceResolver

    gallery, target = run.backfill(gallery_name)
    if target.done:
        return {"target": target.target, "shards": shards, "written": [], "fraction": 1.0, "done": True}
    model = run.new_model()
    resolver = SourceResolver(data_dir, progress=progress)
    written = []
    for position, index in enumerate(shards):
        _, worked = backfill_shard(gallery, target.target, index, model, resolver, progress=progress)
        publish_backfill(gallery, target.target, [index])
        if worked:
            written.append(index)
        if position == 0:
            fail_once("backfill_shard")
    fraction = backfill_progress(gallery, target.target).fraction
    return {"target": target.target, "shards": shards, "written": written, "fraction": fraction, "done": False}

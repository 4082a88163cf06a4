"""Planning a backfill: the order, computed once and stored with the version it fills.

A backfill re-extracts a gallery version (usually the evolved one that is live) with the
new model into a new staged version. Its items go in the order a policy chooses
(``backfill.ordering``), and backfill shard N holds the items at ranks
``[N*s, (N+1)*s)``, so the worst items land in the first shards and quality rises
fastest at the start. The order is written once, as ``order.parquet`` (``id``,
``source``, ``identity`` when present, ``rank``; one row group per backfill shard) beside
the version's staging plan, whose producer names the policy and the order's digest. A
resumed backfill reads that file instead of recomputing it, and asking to resume with
another policy or model is refused: a mixed order would put no one's worst items first.

Planning stages only: nothing of a planned backfill is searched until its finished
shards are published (``backfill.publication``).

Ordering reads the whole gallery's ids (and, for the feature-based policies, its
embeddings) into memory once; that is the bound on gallery size here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from tqdm import tqdm

from upgradeflow.backfill.ordering import backfill_order, check_policy, order_digest
from upgradeflow.backfill.residuals import adapter_residuals
from upgradeflow.errors import UserInputError
from upgradeflow.store.gallery import Gallery
from upgradeflow.store.manifest import Plan
from upgradeflow.store.shard_format import embeddings_of, file_sha256

ORDER_FILE = "order.parquet"
KIND = "backfill"


@dataclass(frozen=True)
class BackfillRequest:
    """What a backfill is asked to do; stored in the plan's producer, checked on resume."""

    model: str  # how the model is named in the rows' ``model`` column (a URI or a path)
    model_sha256: str
    dimension: int
    policy: str = "worst-first"
    seed: int = 0


def read_columns(gallery: Gallery, version: str, columns: list[str], *, progress: bool = False) -> pa.Table:
    """Columns of every row of a committed version, in shard order, shards verified."""
    tables = []
    shards = len(gallery.manifest(version)["shards"])
    for index in tqdm(range(shards), desc=f"read {version}", unit="shard", disable=not progress):
        with gallery.open_shard(version, index) as (path, _):
            tables.append(pq.read_table(path, columns=columns))
    return pa.concat_tables(tables)


def _old_version(gallery: Gallery, manifest: dict) -> str | None:
    """The version holding the old model's features of ``manifest``'s items: its parent
    when it was evolved by an adapter, else none (it holds them itself)."""
    return manifest["parent"] if manifest["producer"].get("kind") == "evolve" and manifest["parent"] else None


def _aligned_embeddings(gallery: Gallery, version: str, ids: pa.ChunkedArray, progress: bool) -> np.ndarray:
    table = read_columns(gallery, version, ["id", "embedding"], progress=progress)
    positions = pc.index_in(ids, value_set=table.column("id"))
    if positions.null_count:
        missing = ids.filter(pc.is_null(positions))[0].as_py()
        raise UserInputError(f"{gallery.where(version)}: has no row for item {missing!r}")
    return embeddings_of(table)[positions.to_numpy(zero_copy_only=False)]


def compute_order(
    gallery: Gallery, source_version: str, items: pa.Table, policy: str, seed: int, *, progress: bool = False
) -> np.ndarray:
    """The permutation of ``items`` (the source version's rows) that ``policy`` asks for.

    ``worst-first`` scores the OLD model's features (the evolved version's parent, or the
    source itself when it was not evolved); ``residual-first`` needs an evolved source.
    """
    check_policy(policy)
    count = items.num_rows
    if policy == "random":
        return backfill_order(policy, count, seed=seed)
    manifest = gallery.manifest(source_version)
    old_version = _old_version(gallery, manifest)
    if policy == "worst-first":
        if "identity" not in items.column_names:
            raise UserInputError(
                f"{gallery.where(source_version)}: has no 'identity' column, which {policy} ordering needs; "
                "use residual-first or random"
            )
        old = _aligned_embeddings(gallery, old_version or source_version, items.column("id"), progress)
        identities = items.column("identity").to_numpy(zero_copy_only=False).astype(np.int64)
        return backfill_order(policy, count, old_features=old, identities=identities)
    if old_version is None:
        raise UserInputError(
            f"{gallery.where(source_version)}: residual-first ordering needs an evolved version "
            "(written by an adapter, with its old parent kept)"
        )
    old = _aligned_embeddings(gallery, old_version, items.column("id"), progress)
    evolved = _aligned_embeddings(gallery, source_version, items.column("id"), progress)
    return backfill_order(policy, count, residuals=adapter_residuals(old, evolved))


def _check_resume(gallery: Gallery, version: str, plan: Plan, request: BackfillRequest, policy: str | None) -> None:
    producer = plan.producer
    where = gallery.where(version)
    if producer.get("kind") != KIND:
        raise UserInputError(f"{where}: already staged by {producer.get('kind') or 'another writer'}, not a backfill")
    if producer["sha256"] != request.model_sha256:
        raise UserInputError(
            f"{where}: backfill planned for model {producer['model']} ({producer['sha256'][:12]}), "
            f"not {request.model} ({request.model_sha256[:12]}); choose another version name"
        )
    stored = producer["order"]
    other_seed = stored == "random" and policy == "random" and producer["order_seed"] != request.seed
    if (policy is not None and policy != stored) or other_seed:
        raise UserInputError(
            f"{where}: backfill already planned in {stored} order (order {producer['order_sha256'][:12]}); "
            f"resume it in that order or discard the staged version"
        )


def plan_backfill(
    gallery: Gallery,
    source_version: str,
    target_version: str,
    request: BackfillRequest,
    *,
    shard_rows: int | None = None,
    resume_policy: str | None = None,
    progress: bool = False,
) -> Plan:
    """Stage ``target_version`` as a backfill of ``source_version`` and store its order.

    A version already planned is resumed as it is (its stored order, never a new one);
    ``resume_policy``, when given, must be the stored policy. Without ``shard_rows`` the
    backfill has as many shards as the source.
    """
    if resume_policy is not None:
        check_policy(resume_policy)
    existing = gallery.plan(target_version)
    if existing is not None:
        _check_resume(gallery, target_version, existing, request, resume_policy)
        return existing
    check_policy(request.policy)
    manifest = gallery.manifest(source_version)
    where = gallery.where(source_version)
    if request.dimension != manifest["dimension"]:
        raise UserInputError(
            f"{request.model} embeds {request.dimension}-d, {where} holds {manifest['dimension']}-d embeddings; "
            "a backfill must stay in the gallery's space"
        )
    if "source" not in manifest["schema"]:
        raise UserInputError(f"{where}: has no 'source' column, so its items cannot be re-extracted")
    columns = ["id", "source"] + (["identity"] if "identity" in manifest["schema"] else [])
    items = read_columns(gallery, source_version, columns, progress=progress)
    if items.column("source").null_count:
        raise UserInputError(f"{where}: {items.column('source').null_count} rows have no source")
    rows = items.num_rows
    if rows == 0:
        raise UserInputError(f"{where}: no rows to backfill")
    shard_rows = shard_rows or -(-rows // len(manifest["shards"]))
    if shard_rows < 1:
        raise UserInputError(f"shard rows must be >= 1, got {shard_rows}")
    order = compute_order(gallery, source_version, items, request.policy, request.seed, progress=progress)
    ordered = items.take(pa.array(order)).append_column("rank", pa.array(np.arange(rows, dtype=np.int64)))
    with gallery.store.publish(gallery.version_key(target_version, ORDER_FILE)) as tmp:
        pq.write_table(ordered, tmp, row_group_size=shard_rows)
        file_digest = file_sha256(tmp)
    producer = {
        "kind": KIND,
        "model": request.model,
        "sha256": request.model_sha256,
        "dimension": request.dimension,
        "order": request.policy,
        "order_seed": request.seed,
        "order_sha256": order_digest(order),
        "order_file_sha256": file_digest,
        "shard_rows": shard_rows,
        "rows": rows,
    }
    gallery.stage(target_version, Plan(shards=-(-rows // shard_rows), parent=source_version, producer=producer))
    return gallery.plan(target_version)


def backfill_plan(gallery: Gallery, version: str) -> Plan:
    """The stored plan of a backfill version; anything else is the caller's mistake."""
    plan = gallery.plan(version)
    if plan is None or plan.producer.get("kind") != KIND:
        raise UserInputError(f"{gallery.where(version)}: no backfill planned under this version")
    return plan


def order_slice(gallery: Gallery, version: str, index: int) -> pa.Table:
    """The stored order's rows for backfill shard ``index`` (ranks ``[index*s, (index+1)*s)``)."""
    plan = backfill_plan(gallery, version)
    if not 0 <= index < plan.shards:
        raise UserInputError(f"{gallery.where(version)}: no backfill shard {index} (it has {plan.shards})")
    start = index * plan.producer["shard_rows"]
    stop = min(start + plan.producer["shard_rows"], plan.producer["rows"])
    key = gallery.version_key(version, ORDER_FILE)
    try:
        with gallery.store.local_copy(key) as path:
            if file_sha256(path) != plan.producer["order_file_sha256"]:
                raise UserInputError(f"{gallery.where(version)}: {ORDER_FILE} is corrupt (checksum mismatch)")
            return _rows(pq.ParquetFile(path), start, stop)
    except FileNotFoundError:
        raise UserInputError(f"{gallery.where(version)}: {ORDER_FILE} is missing ({key})") from None


def _rows(order: pq.ParquetFile, start: int, stop: int) -> pa.Table:
    tables, offset = [], 0
    for group in range(order.num_row_groups):
        size = order.metadata.row_group(group).num_rows
        if offset < stop and offset + size > start:
            first = max(start, offset)
            tables.append(order.read_row_group(group).slice(first - offset, min(stop, offset + size) - first))
        offset += size
    return pa.concat_tables(tables)

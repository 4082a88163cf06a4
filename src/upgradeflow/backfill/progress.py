"""How far a backfill has come, read from the store alone.

Every finished backfill shard has its record, so the DAG, ``gallery list`` and a
searching service can all show the backfilled fraction (rows re-extracted / rows in the
gallery) without asking the workers; a service uses it to know which part of the
gallery is already in the new model's hands.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from upgradeflow.backfill.planning import backfill_plan
from upgradeflow.store.gallery import Gallery
from upgradeflow.store.manifest import ShardRecord


@dataclass(frozen=True)
class BackfillProgress:
    version: str
    order: str  # the ordering policy
    shards_done: list[int]
    shards: int
    rows_done: int
    rows: int
    committed: bool

    @property
    def fraction(self) -> float:
        return self.rows_done / self.rows if self.rows else 1.0

    def to_dict(self) -> dict:
        return {**asdict(self), "fraction": round(self.fraction, 6)}

    def describe(self) -> str:
        return f"backfilled {self.fraction:.1%} ({len(self.shards_done)}/{self.shards} shards, {self.order} order)"


def backfill_progress(gallery: Gallery, version: str, done: dict[int, ShardRecord] | None = None) -> BackfillProgress:
    """The progress of the backfill planned under ``version``, from ``done`` (the finished
    shards' records, when the caller has read them) or from the store."""
    plan = backfill_plan(gallery, version)
    done = gallery.finished_shards(version) if done is None else done
    return BackfillProgress(
        version=version,
        order=plan.producer["order"],
        shards_done=sorted(done),
        shards=plan.shards,
        rows_done=sum(record.rows for record in done.values()),
        rows=plan.producer["rows"],
        committed=gallery.is_committed(version),
    )

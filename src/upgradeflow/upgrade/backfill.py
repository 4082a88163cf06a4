"""Which evolved version an upgrade backfills, and into which, from the store alone.

Like ``evolution``: every backfill step derives the same names from the live pointer,
the adapter's digest and the run key, so mapped tasks, retries and re-runs agree
without passing state, and a re-run after the swap finds the backfill live.
"""

from __future__ import annotations

from dataclasses import dataclass

from upgradeflow.errors import UserInputError
from upgradeflow.store.gallery import Gallery
from upgradeflow.upgrade.evolution import evolution_target


@dataclass(frozen=True)
class BackfillTarget:
    source: str  # the evolved version being re-extracted
    target: str  # the backfilled version
    before: str  # the version the upgrade replaced (what rollback restores)
    done: bool  # the backfilled version is live


def backfill_target(gallery: Gallery, adapter_sha256: str, run_key: str) -> BackfillTarget:
    evolution = evolution_target(gallery, adapter_sha256)
    if not evolution.done:
        raise UserInputError(
            f"{gallery.where()}: {evolution.target} is not live; commit the evolved gallery before backfilling it"
        )
    target = f"{evolution.target}.backfill-{run_key[:8]}"
    return BackfillTarget(evolution.target, target, evolution.source, gallery.pointer().current == target)

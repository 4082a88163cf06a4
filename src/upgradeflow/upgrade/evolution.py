"""Which gallery version an upgrade evolves, and into which, from the store alone.

Every step of one upgrade derives the same answer from the live pointer and the
adapter's digest, so mapped tasks and retries agree without passing state, and a
re-run after the commit finds the work done instead of evolving the evolved gallery,
also after the evolved version has itself been replaced by its backfill.
"""

from __future__ import annotations

from dataclasses import dataclass

from upgradeflow.errors import UserInputError
from upgradeflow.store.gallery import Gallery


@dataclass(frozen=True)
class EvolutionTarget:
    source: str
    target: str
    done: bool  # the target is live, or was and its backfill replaced it
    backfilled: bool = False  # the target's backfill is live now


def _evolved_by(manifest: dict, adapter_sha256: str) -> bool:
    return manifest.get("producer", {}).get("sha256") == adapter_sha256 and bool(manifest.get("parent"))


def evolution_target(gallery: Gallery, adapter_sha256: str) -> EvolutionTarget:
    live = gallery.pointer().current
    if live is None:
        raise UserInputError(f"{gallery.where()}: no live version to evolve (import or bootstrap one first)")
    manifest = gallery.manifest(live)
    if _evolved_by(manifest, adapter_sha256):
        return EvolutionTarget(manifest["parent"], live, True)
    if manifest["producer"].get("kind") == "backfill" and manifest.get("parent"):
        evolved = gallery.manifest(manifest["parent"])
        if _evolved_by(evolved, adapter_sha256):
            return EvolutionTarget(evolved["parent"], evolved["version"], True, backfilled=True)
    return EvolutionTarget(live, f"{live}.evolved-{adapter_sha256[:8]}", False)

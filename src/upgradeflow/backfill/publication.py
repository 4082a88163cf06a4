"""Making a backfill's finished shards visible to search: the backfill's commit.

A searching service merges a backfill in progress with the live gallery, so a backfill
shard changes live answers the moment a service sees it. Writing shards must therefore
never be enough: a backfill run with a wrong or broken model, a run that failed, or one
that was abandoned would otherwise be served. A shard is served only once it is named in
the gallery's ``BACKFILL`` marker, and only a publication moves that marker: after its
checks (the backfill fills the live version, every named shard is finished and matches
its checksum), with a conditional write, so two publishers never lose each other's
shards and nothing else can move it behind their backs.
"""

from __future__ import annotations

from collections.abc import Iterable

from upgradeflow.backfill.marker import BackfillMarker, marker_key, read_marker
from upgradeflow.backfill.planning import backfill_plan
from upgradeflow.errors import ConflictError, UserInputError
from upgradeflow.store.gallery import Gallery

ATTEMPTS = 20  # compare-and-swap rounds before a publisher gives up under contention


def publish_backfill(gallery: Gallery, target: str, shards: Iterable[int] | None = None) -> BackfillMarker:
    """Publish finished shards of the backfill staged under ``target`` (all of them when
    ``shards`` is None) to the services searching its gallery. Refused, before the marker
    moves, when the backfill does not fill the live version or a shard is unfinished or
    corrupt. Shards published earlier for the same backfill stay published; a marker for
    any other backfill is replaced."""
    plan = backfill_plan(gallery, target)
    live = gallery.pointer().current
    if live != plan.parent:
        raise UserInputError(
            f"{gallery.where(target)}: fills {plan.parent}, but {live or 'nothing'} is live; "
            "a backfill is published only while the version it fills is live"
        )
    finished = gallery.finished_shards(target)
    wanted = sorted(finished if shards is None else set(shards))
    for index in wanted:
        if not 0 <= index < plan.shards:
            raise UserInputError(f"{gallery.where(target)}: no backfill shard {index} (it has {plan.shards})")
        if index not in finished:
            raise UserInputError(f"{gallery.where(target)}: backfill shard {index} is not finished")
        with gallery.open_staged_shard(target, finished[index]):
            pass  # a corrupt or missing shard file is refused here, before anyone can serve it
    key = marker_key(gallery)
    for _ in range(ATTEMPTS):
        found = gallery.store.read_versioned(key)
        current = None if found is None else read_marker(found[0], f"{gallery.store.uri}/{key}")
        same = current is not None and (current.source, current.target) == (plan.parent, target)
        marker = BackfillMarker(plan.parent, target, tuple(sorted(set(current.shards if same else ()) | set(wanted))))
        if marker == current:
            return marker
        try:
            gallery.store.write_if(key, marker.to_json(), None if found is None else found[1])
            return marker
        except ConflictError:
            continue
    raise ConflictError(f"{gallery.where()}: the backfill marker kept changing; {ATTEMPTS} attempts lost the race")

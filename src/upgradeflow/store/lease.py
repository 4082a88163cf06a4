"""One lease per gallery, so that pipeline runs moving its pointers never overlap.

The upgrade, rollback and bootstrap runs each take the gallery's lease first and release
it last. The lease is an object beside the gallery's pointer (``galleries/<name>/LEASE``)
naming its owner (one run) and when it expires. It changes only by compare-and-swap
against the token read (``If-None-Match`` for the first write, ``If-Match`` after), so of
runs that find it free exactly one gets it, on S3 across hosts as on a local directory.
The owner renews it before each pointer move and releases it at the end; anyone may take
it over only once it has expired, so a run that dies without releasing blocks the
gallery for one time-to-live at most, and its later steps find the lease gone and stop.
Expiry compares wall clocks: hosts must agree on the time to well within the TTL.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from upgradeflow.errors import ConflictError, UserInputError
from upgradeflow.store.gallery import Gallery
from upgradeflow.store.object_store import join

FORMAT = "upgradeflow.lease/1"


@dataclass(frozen=True)
class LeaseState:
    owner: str
    expires_at: datetime
    ttl_s: float
    released: bool

    def held_by_other(self, owner: str, now: datetime) -> bool:
        return self.owner != owner and not self.released and now < self.expires_at

    def to_json(self) -> bytes:
        document = {
            "format": FORMAT,
            "owner": self.owner,
            "expires_at": self.expires_at.isoformat(timespec="milliseconds"),
            "ttl_s": self.ttl_s,
            "released": self.released,
        }
        return (json.dumps(document, indent=2) + "\n").encode()


def _now() -> datetime:
    return datetime.now(UTC)


class GalleryLease:
    """The lease on one gallery; every change is one conditional write."""

    def __init__(self, gallery: Gallery):
        self.store = gallery.store
        self.key = join(gallery.prefix, "LEASE")
        self.where = f"{gallery.where()} lease"

    def state(self) -> tuple[LeaseState | None, str | None]:
        """The lease and its change token (``None``, ``None``: never taken)."""
        found = self.store.read_versioned(self.key)
        if found is None:
            return None, None
        data, token = found
        try:
            document = json.loads(data)
            state = LeaseState(
                owner=str(document["owner"]),
                expires_at=datetime.fromisoformat(document["expires_at"]),
                ttl_s=float(document["ttl_s"]),
                released=bool(document["released"]),
            )
        except (ValueError, KeyError, TypeError):
            raise UserInputError(f"{self.store.uri}/{self.key}: not a lease document") from None
        return state, token

    def _write(self, state: LeaseState, token: str | None) -> LeaseState:
        self.store.write_if(self.key, state.to_json(), token)
        return state

    def take(self, owner: str, ttl_s: float) -> LeaseState:
        """Take the lease for ``ttl_s`` seconds; ``ConflictError`` while another owner
        holds it unexpired. Taking it again as its owner renews it (a retried step)."""
        if ttl_s <= 0:
            raise UserInputError(f"lease time-to-live must be positive, got {ttl_s}")
        state, token = self.state()
        now = _now()
        if state is not None and state.held_by_other(owner, now):
            raise ConflictError(
                f"{self.where}: held by {state.owner} until {state.expires_at.isoformat(timespec='seconds')} "
                "(another run on this gallery); try again after it finishes or expires"
            )
        return self._write(LeaseState(owner, now + timedelta(seconds=ttl_s), ttl_s, released=False), token)

    def renew(self, owner: str) -> LeaseState:
        """Extend ``owner``'s lease by its time-to-live before a pointer move; ``ConflictError``
        when ``owner`` no longer holds it (it expired and another run took it, or it was
        released), so a run that lost its lease moves nothing."""
        state, token = self.state()
        if state is None or state.owner != owner or state.released:
            holder = "nobody" if state is None or state.released else state.owner
            raise ConflictError(f"{self.where}: not held by {owner} (held by {holder}); another run may have taken it")
        return self._write(LeaseState(owner, _now() + timedelta(seconds=state.ttl_s), state.ttl_s, False), token)

    def release(self, owner: str) -> bool:
        """Release ``owner``'s lease; False (nothing changed) when ``owner`` does not hold it,
        so releasing twice, or after another run took it over, is harmless."""
        state, token = self.state()
        if state is None or state.owner != owner or state.released:
            return False
        self._write(LeaseState(owner, _now(), state.ttl_s, released=True), token)
        return True


def hold_lease(gallery: Gallery, owner: str | None) -> None:
    """Renew ``owner``'s lease on ``gallery`` before a pointer move (no owner: nothing to
    do); ``ConflictError`` when another run holds it, so a run that lost it moves nothing."""
    if owner is not None:
        GalleryLease(gallery).renew(owner)


def apply_lease(gallery: Gallery, action: str, owner: str, ttl_s: float) -> dict:
    """``take`` the gallery's lease for ``owner`` (first of a run) or ``release`` it (last)."""
    lease = GalleryLease(gallery)
    if action == "release":
        return {"gallery": gallery.name, "owner": owner, "released": lease.release(owner)}
    state = lease.take(owner, ttl_s)
    return {"gallery": gallery.name, "owner": owner, "expires_at": state.expires_at.isoformat()}

"""Compare-and-swap on S3 is only as good as the server's conditional writes: a store
checks them before its first write and refuses to write where they are ignored."""

from __future__ import annotations

import pytest

from upgradeflow.errors import ConflictError, UserInputError
from upgradeflow.store.pointer import advance, read_pointer
from upgradeflow.store.s3 import S3Store

pytestmark = pytest.mark.s3


class DroppedConditions:
    """The real client, except that ``PutObject`` loses the named condition headers on
    the way: a stand-in for a server that ignores them."""

    def __init__(self, client, dropped: tuple[str, ...]) -> None:
        self._client = client
        self._dropped = dropped

    def __getattr__(self, name: str):
        return getattr(self._client, name)

    def put_object(self, **request):
        return self._client.put_object(**{k: v for k, v in request.items() if k not in self._dropped})


def test_ceph_rgw_honours_conditional_writes(s3_bucket):
    store = S3Store(s3_bucket, "root")
    advance(store, "g/CURRENT", "v1", expected_current=None)
    _, token = store.read_versioned("g/CURRENT")
    advance(store, "g/CURRENT", "v2", expected_current="v1")
    with pytest.raises(ConflictError):
        store.write_if("g/CURRENT", b"stale", token)
    assert read_pointer(store, "g/CURRENT")[0].history == ["v1", "v2"]
    assert store.list("") == ["g/CURRENT"]  # the probe object is private to the store


@pytest.mark.parametrize(
    ("dropped", "named"),
    [(("IfMatch",), "If-Match"), (("IfNoneMatch",), "If-None-Match"), (("IfMatch", "IfNoneMatch"), "If-")],
)
def test_a_server_ignoring_conditions_is_refused_before_anything_is_written(s3_bucket, dropped, named):
    real = S3Store(s3_bucket, "root")
    store = S3Store(s3_bucket, "root", client=DroppedConditions(real.client, dropped))
    with pytest.raises(UserInputError, match=f"ignores {named}") as refused:
        advance(store, "g/CURRENT", "v1", expected_current=None)
    assert "\n" not in str(refused.value) and s3_bucket in str(refused.value)
    with pytest.raises(UserInputError, match="ignores"):
        store.write("g/versions/v1/manifest.json", b"{}")
    with pytest.raises(UserInputError, match="ignores"), store.publish("g/versions/v1/shard.bin") as tmp:
        tmp.write_bytes(b"data")
    assert real.list("") == []


def test_the_stand_in_lets_a_stale_write_win(s3_bucket):
    """The stand-in shows the hole the check closes: with If-Match ignored, a write
    against a token that is no longer current overwrites the write that beat it."""
    real = S3Store(s3_bucket, "root")
    ignoring = DroppedConditions(real.client, ("IfMatch",))
    real.write_if("g/CURRENT", b"first", None)
    _, stale = real.read_versioned("g/CURRENT")
    real.write_if("g/CURRENT", b"second", stale)
    ignoring.put_object(Bucket=s3_bucket, Key="root/g/CURRENT", Body=b"third", IfMatch=stale.strip('"'))
    assert real.read("g/CURRENT") == b"third"

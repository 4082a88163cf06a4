"""The ``BACKFILL`` marker: what a searching service reads to find the backfill it may
merge, so a damaged one must be a one-line error, never a partial answer."""

from __future__ import annotations

import pytest

from upgradeflow.backfill.marker import MARKER, BackfillMarker, published_marker, read_marker
from upgradeflow.errors import UserInputError
from upgradeflow.store.gallery import Gallery
from upgradeflow.store.location import open_store


@pytest.fixture
def gallery(store_uri) -> Gallery:
    return Gallery(open_store(store_uri), "g")


def test_a_marker_reads_back_as_written():
    marker = BackfillMarker("v1", "v1.backfill", (0, 3))
    assert read_marker(marker.to_json()) == marker


@pytest.mark.parametrize(
    "data",
    [
        b'{"source": "v1"',
        b'{"source": "v1", "target": "v2"}',
        b'{"source": "v1", "target": "v2", "shards": [0, -1]}',
        b'{"source": "v1", "target": "v2", "shards": "0,1"}',
        b"[]",
    ],
    ids=["truncated", "no-shards", "negative-shard", "shards-text", "a-list"],
)
def test_a_damaged_marker_names_where_it_was_read(data):
    with pytest.raises(UserInputError, match=r"^g/BACKFILL: corrupt backfill marker \(") as raised:
        read_marker(data, "g/BACKFILL")
    assert "\n" not in str(raised.value)


def test_no_marker_means_no_backfill_to_merge(gallery):
    assert published_marker(gallery) is None


def test_a_corrupt_marker_is_one_line(gallery):
    gallery.store.write(f"{gallery.prefix}/{MARKER}", b'{"source": "v1"')
    with pytest.raises(UserInputError, match="corrupt backfill marker"):
        published_marker(gallery)

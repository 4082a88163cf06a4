"""Prefetching one step ahead: the same items in the same order, the producer's error
raised in the consumer, and no more than ``depth`` items read ahead."""

from __future__ import annotations

import time

import pytest

from upgradeflow.store.prefetch import prefetch


def test_items_arrive_in_order():
    assert list(prefetch(iter(range(50)), depth=3)) == list(range(50))
    assert list(prefetch(iter([]))) == []


def test_a_failing_producer_fails_the_consumer_after_what_it_produced():
    def items():
        yield 1
        yield 2
        raise ValueError("shard 3 is corrupt")

    consumed = []
    with pytest.raises(ValueError, match="shard 3 is corrupt"):
        for item in prefetch(items()):
            consumed.append(item)
    assert consumed == [1, 2]


def test_the_producer_runs_at_most_depth_ahead_and_stops_with_the_consumer():
    produced = []

    def items():
        for n in range(100):
            produced.append(n)
            yield n

    stream = prefetch(items(), depth=2)
    assert next(stream) == 0
    time.sleep(0.3)  # time enough to run far ahead, were it unbounded
    assert len(produced) <= 1 + 2 + 1  # the one taken, two queued, one waiting for a slot
    stream.close()  # returns once the producer has stopped
    stopped_at = len(produced)
    time.sleep(0.2)
    assert len(produced) == stopped_at < 100

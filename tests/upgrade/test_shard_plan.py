import pytest

from upgradeflow.errors import UserInputError
from upgradeflow.upgrade.shard_plan import lane_label, parse_shards, plan_lanes


@pytest.mark.parametrize(
    ("shards", "concurrency", "max_map_length"),
    [(1, 4, 1024), (4, 2, 1024), (10, 4, 1024), (4, 8, 1024), (5000, 64, 16), (7, 3, 2), (0, 4, 4)],
)
def test_lanes_cover_every_shard_once_within_both_bounds(shards, concurrency, max_map_length):
    lanes = plan_lanes(shards, concurrency, max_map_length)
    assert sorted(i for lane in lanes for i in lane) == list(range(shards))
    assert len(lanes) <= min(concurrency, max_map_length)
    assert all(lane == list(range(lane[0], lane[-1] + 1)) for lane in lanes)  # contiguous
    sizes = [len(lane) for lane in lanes]
    assert not sizes or max(sizes) - min(sizes) <= 1  # balanced


def test_labels_round_trip_through_the_command_line():
    for lane in plan_lanes(10, 4, 1024):
        assert parse_shards(lane_label(lane)) == lane
    assert parse_shards("0,2,5") == [0, 2, 5]


@pytest.mark.parametrize("text", ["a", "1-", "x,y", "3-1", "", ",", "-1"])
def test_bad_shard_lists_are_user_errors(text):
    with pytest.raises(UserInputError, match="--shards"):
        parse_shards(text)


def test_bounds_must_be_positive():
    with pytest.raises(UserInputError, match="shard_concurrency"):
        plan_lanes(4, 0, 10)

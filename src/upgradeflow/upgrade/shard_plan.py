"""How a gallery's shards fan out over mapped tasks.

Each mapped task is one lane of shards processed in order: the number of lanes bounds
how many run at once (``shard_concurrency``) and how many task instances the scheduler
must track (``max_map_length``); a retried lane skips its finished shards.
"""

from __future__ import annotations

from upgradeflow.errors import UserInputError


def plan_lanes(shards: int, concurrency: int, max_map_length: int) -> list[list[int]]:
    """Contiguous runs of shard indices, at most ``min(concurrency, max_map_length)`` of them."""
    if concurrency < 1 or max_map_length < 1:
        raise UserInputError(f"shard_concurrency and max_map_length must be >= 1, got {concurrency}, {max_map_length}")
    lanes = min(shards, concurrency, max_map_length)
    if lanes == 0:
        return []
    size, extra = divmod(shards, lanes)
    out, start = [], 0
    for lane in range(lanes):
        end = start + size + (lane < extra)
        out.append(list(range(start, end)))
        start = end
    return out


def lane_label(shards: list[int]) -> str:
    return str(shards[0]) if len(shards) == 1 else f"{shards[0]}-{shards[-1]}"


def parse_shards(text: str) -> list[int]:
    """``"3"``, ``"0-3"`` or ``"0,2,5"`` to shard indices."""
    try:
        if "-" in text:
            first, last = (int(p) for p in text.split("-", 1))
            shards = list(range(first, last + 1))
        else:
            shards = [int(p) for p in text.split(",") if p.strip()]
    except ValueError:
        shards = []
    if not shards or min(shards) < 0:  # an empty lane would finish having done nothing
        raise UserInputError(f"--shards takes N, N-M or N,M,... of shard indices, got '{text}'")
    return shards

"""Gallery evolution throughput against the floor of a plain Parquet read + write.

A generated gallery (default 1M rows x 128-d in 8 shards) is evolved shard by shard
with a 2-layer 128->256->128 MLP adapter through ``upgradeflow``'s streaming transform
(checksum check of the input, per-batch validation, adapter, hashed output, atomic
publish). The floor, measured in the same run on the same shards, reads each shard's
record batches and writes them unchanged with the same writer settings. Evolution must
reach at least 40% of the floor's rows/s.

    python benchmarks/evolve_throughput.py [--rows 1000000] [--shards 8] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))
from synthetic_gallery import environment, make_gallery

from upgradeflow.models.adapter import AdapterConfig, MLPAdapter, save_adapter
from upgradeflow.runtime import configure_torch
from upgradeflow.store.shard_format import iter_batches, open_writer
from upgradeflow.upgrade.evolve import evolve_shard

FLOOR_FRACTION = 0.40
FLOOR_BATCH_ROWS = 65_536  # the generated shards' row-group size: the copy's fastest setting
RESULTS = Path(__file__).parent / "results" / "evolve_throughput.json"


def plain_read_write(gallery, shards: int, scratch: Path) -> float:
    """Copy every shard batch by batch; the copies stay until the pass ends, as evolved
    shards do, so both pay the same page-cache write-back."""
    started = time.perf_counter()
    copies = []
    for index in range(shards):
        with _raw_shard(gallery, index) as path:
            out = scratch / f"copy-{index}.parquet"
            batches = iter_batches(path, FLOOR_BATCH_ROWS)
            first = next(batches)
            with open_writer(out, first.schema) as writer:
                writer.write_batch(first)
                for batch in batches:
                    writer.write_batch(batch)
            copies.append(out)
    seconds = time.perf_counter() - started
    for out in copies:
        out.unlink()
    return seconds


def _raw_shard(gallery, index: int):
    """The shard file as it lies on disk, without upgradeflow's checksum check."""
    return gallery.store.local_copy(f"{gallery.prefix}/versions/v1/shards/shard-{index:05d}.parquet")


def evolve_all(gallery, adapter: Path, shards: int, target: str) -> float:
    started = time.perf_counter()
    for index in range(shards):
        evolve_shard(gallery, adapter, "v1", index, target_version=target)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--shards", type=int, default=8)
    parser.add_argument("--dim", type=int, default=128)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, help="torch threads (default: all cores)")
    parser.add_argument("--work-dir", type=Path, help="where the generated gallery goes (default: a temp dir)")
    args = parser.parse_args()
    configure_torch(args.threads)

    work = args.work_dir or Path(tempfile.mkdtemp(prefix="upgradeflow-bench-"))
    started = time.perf_counter()
    gallery = make_gallery(work / "store", "bench", args.shards, args.rows // args.shards, args.dim)
    generate_seconds = time.perf_counter() - started
    torch.manual_seed(0)
    adapter = save_adapter(MLPAdapter(AdapterConfig(args.dim, args.hidden, args.dim, depth=2)), work / "adapter")
    rows = gallery.manifest("v1")["rows"]
    megabytes = sum(s["bytes"] for s in gallery.manifest("v1")["shards"]) / 2**20

    floor, evolve = [], []
    for repeat in range(args.repeats):  # interleaved, so drift hits both alike
        floor.append(plain_read_write(gallery, args.shards, work))
        evolve.append(evolve_all(gallery, adapter, args.shards, f"evolved-{repeat}"))
        gallery.discard(f"evolved-{repeat}")
    floor_s, evolve_s = statistics.median(floor), statistics.median(evolve)
    ratio = floor_s / evolve_s

    print(f"{rows:,} rows x {args.dim}-d in {args.shards} shards ({megabytes:.0f} MiB), median of {args.repeats}")
    print(f"{'step':44s} {'seconds':>8s} {'rows/s':>12s} {'MiB/s':>8s}")
    for name, seconds in [
        ("plain Parquet read + write (floor)", floor_s),
        (f"evolve, MLP {args.dim}->{args.hidden}->{args.dim}", evolve_s),
    ]:
        print(f"{name:44s} {seconds:8.2f} {rows / seconds:12,.0f} {megabytes / seconds:8.1f}")
    verdict = "met" if ratio >= FLOOR_FRACTION else "MISSED"
    print(f"evolution runs at {100 * ratio:.0f}% of the floor (target >= {100 * FLOOR_FRACTION:.0f}%): {verdict}")

    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "benchmark": "evolve_throughput",
                "config": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
                "rows": rows,
                "mebibytes": round(megabytes, 1),
                "generate_seconds": round(generate_seconds, 2),
                "floor_seconds": [round(s, 3) for s in floor],
                "evolve_seconds": [round(s, 3) for s in evolve],
                "floor_rows_per_second": round(rows / floor_s),
                "evolve_rows_per_second": round(rows / evolve_s),
                "fraction_of_floor": round(ratio, 3),
                "target_fraction": FLOOR_FRACTION,
                "environment": environment(),
            },
            indent=2,
        )
        + "\n"
    )
    if args.work_dir is None:
        shutil.rmtree(work)
    return 0 if ratio >= FLOOR_FRACTION else 1


if __name__ == "__main__":
    sys.exit(main())

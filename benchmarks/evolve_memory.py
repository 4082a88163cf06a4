"""Peak memory of evolving a gallery: 8 shards against 2 shards of the same size.

Each run is a fresh process (so ``ru_maxrss`` is that run's own peak) that evolves
every shard of a generated gallery with the 128->256->128 MLP adapter; the median of
``--repeats`` runs is reported, with the process's RSS after imports for scale.
Streaming holds a bounded number of record batches in flight, so the peak must not
grow with the number of shards: the 8-shard run may use at most 10% more than the
2-shard run.

    python benchmarks/evolve_memory.py [--rows-per-shard 125000] [--shards 2,8] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from synthetic_gallery import environment, make_gallery

ALLOWED_GROWTH = 0.10
RESULTS = Path(__file__).parent / "results" / "evolve_memory.json"


def child(store: Path, name: str, adapter: Path) -> None:
    """Evolve every shard, then print this process's peak RSS in MiB."""
    from upgradeflow.store.gallery import Gallery
    from upgradeflow.store.local import LocalStore
    from upgradeflow.upgrade.evolve import evolve_shard

    gallery = Gallery(LocalStore(store), name)
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    for index in range(len(gallery.manifest("v1")["shards"])):
        evolve_shard(gallery, adapter, "v1", index, target_version="evolved")
    seconds = time.perf_counter() - started
    gallery.discard("evolved")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB
    print(json.dumps({"peak_rss_mib": round(peak, 1), "after_imports_mib": round(baseline, 1), "seconds": seconds}))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows-per-shard", type=int, default=125_000)
    parser.add_argument("--shards", default="2,8")
    parser.add_argument("--dim", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--child", nargs=3, metavar=("STORE", "NAME", "ADAPTER"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(Path(args.child[0]), args.child[1], Path(args.child[2]))
        return 0

    import torch

    from upgradeflow.models.adapter import AdapterConfig, MLPAdapter, save_adapter

    counts = [int(c) for c in args.shards.split(",")]
    work = Path(tempfile.mkdtemp(prefix="upgradeflow-bench-"))
    torch.manual_seed(0)
    adapter = save_adapter(MLPAdapter(AdapterConfig(args.dim, 256, args.dim)), work / "adapter")
    runs = []
    for count in counts:
        make_gallery(work / "store", f"g{count}", count, args.rows_per_shard, args.dim)
        samples = []
        for _ in range(args.repeats):
            output = subprocess.run(
                [sys.executable, __file__, "--child", str(work / "store"), f"g{count}", str(adapter)],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            samples.append(json.loads(output.splitlines()[-1]))
        runs.append(
            {
                "shards": count,
                "rows": count * args.rows_per_shard,
                "peak_rss_mib": statistics.median(s["peak_rss_mib"] for s in samples),
                "after_imports_mib": statistics.median(s["after_imports_mib"] for s in samples),
                "seconds": round(statistics.median(s["seconds"] for s in samples), 2),
                "peak_rss_samples_mib": [s["peak_rss_mib"] for s in samples],
            }
        )
    shutil.rmtree(work)

    base = runs[0]["peak_rss_mib"]
    print(f"{args.rows_per_shard:,} rows x {args.dim}-d per shard; fresh process per run, median of {args.repeats}")
    print(
        f"{'shards':>6s} {'rows':>10s} {'seconds':>8s} {'after imports MiB':>18s} "
        f"{'peak RSS MiB':>13s} {'vs first':>9s}"
    )
    for run in runs:
        print(
            f"{run['shards']:6d} {run['rows']:10,d} {run['seconds']:8.2f} {run['after_imports_mib']:18.1f} "
            f"{run['peak_rss_mib']:13.1f} {run['peak_rss_mib'] / base:9.2f}"
        )
    growth = max(r["peak_rss_mib"] for r in runs) / base - 1
    ok = growth <= ALLOWED_GROWTH
    print(
        f"peak RSS grows {100 * growth:+.1f}% from {counts[0]} to {counts[-1]} shards "
        f"(allowed {100 * ALLOWED_GROWTH:.0f}%): {'met' if ok else 'MISSED'}"
    )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "benchmark": "evolve_memory",
                "config": {k: v for k, v in vars(args).items() if k != "child"},
                "runs": runs,
                "growth": round(growth, 4),
                "allowed_growth": ALLOWED_GROWTH,
                "environment": environment(),
            },
            indent=2,
        )
        + "\n"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

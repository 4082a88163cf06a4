"""Closed-form adapter fitting speed: 20,000 pairs of 1280-d embeddings on 2 threads.

Times every closed-form candidate ``bench pairs`` fits (the shared second moments,
centred ridge at every strength, centred Procrustes, the soft-orthogonal map from
Procrustes) against a 5 s budget, beside a peer measured in the same run: NumPy's
plain least squares (``lstsq``, uncentred, one strength) on the same rows. The rows are
two unit-norm spaces related by a random linear map plus noise, so the figures do not
depend on any dataset being built.

    python benchmarks/adapter_fit_speed.py [--rows 20000] [--dim 1280] [--threads 2]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch

from upgradeflow.adapters.closed_form import PairStatistics, procrustes_map, ridge_maps, soft_orthogonal_map

BUDGET_SECONDS = 5.0
RESULTS = Path(__file__).parent / "results" / "adapter_fit_speed.json"


def unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def timed(step, *args):
    started = time.perf_counter()
    value = step(*args)
    return value, time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--dim", type=int, default=1280)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))

    rng = np.random.default_rng(0)
    old = unit(rng.standard_normal((args.rows, args.dim)))
    mixing = rng.standard_normal((args.dim, args.dim)).astype(np.float32) / np.sqrt(args.dim)
    new = unit(old @ mixing + 0.5 * unit(rng.standard_normal((args.rows, args.dim))))

    stats, stats_seconds = timed(PairStatistics.of, old, new)
    _, ridge_seconds = timed(ridge_maps, stats)
    procrustes, procrustes_seconds = timed(procrustes_map, stats)
    _, soft_seconds = timed(soft_orthogonal_map, stats, procrustes)
    total = stats_seconds + ridge_seconds + procrustes_seconds + soft_seconds
    _, peer_seconds = timed(np.linalg.lstsq, old, new)

    rows = [
        ("second moments (shared)", stats_seconds),
        ("centred ridge, 4 strengths", ridge_seconds),
        ("centred Procrustes", procrustes_seconds),
        ("soft-orthogonal (L-BFGS)", soft_seconds),
        ("all closed forms", total),
        ("numpy lstsq, one map (peer)", peer_seconds),
    ]
    print(f"{args.rows} pairs of {args.dim}-d, {args.threads} threads, {os.cpu_count()} cores")
    print(f"{'step':30s} {'seconds':>8s}")
    for name, seconds in rows:
        print(f"{name:30s} {seconds:8.2f}")
    print(f"budget {BUDGET_SECONDS:.0f} s for every closed form: {'met' if total < BUDGET_SECONDS else 'MISSED'}")

    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "benchmark": "adapter_fit_speed",
        "config": vars(args),
        "seconds": {name: round(seconds, 3) for name, seconds in rows},
        "budget_seconds": BUDGET_SECONDS,
        "within_budget": total < BUDGET_SECONDS,
        "environment": {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "numpy": np.__version__,
            "cpus": os.cpu_count(),
        },
    }
    RESULTS.write_text(json.dumps(document, indent=2) + "\n")
    return 0 if total < BUDGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())

"""Evaluation speed: 1,000 queries against a 30,000-item gallery (128-d).

Times ``retrieval_metrics`` (exact ranks of the positives only) against a peer measured
in the same run: a brute-force full sort of the gallery for every query, which computes
the same metrics the obvious way. The two must agree, and ours must finish in under the
10 s budget on this machine.

    python benchmarks/eval_speed.py [--queries 1000] [--gallery 30000]
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

from upgradeflow.evaluation.metrics import retrieval_metrics

BUDGET_SECONDS = 10.0
RESULTS = Path(__file__).parent / "results" / "eval_speed.json"


def clustered(rng, n, centers, labels, noise=0.6):
    x = centers[labels] + noise * rng.standard_normal((n, centers.shape[1]))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def brute_force(queries, query_labels, gallery, gallery_labels) -> dict:
    ap100, ap, top1, top5 = [], [], [], []
    for start in range(0, len(queries), 128):
        scores = queries[start : start + 128] @ gallery.T
        order = np.argsort(-scores, axis=1, kind="stable")
        rel = gallery_labels[order] == query_labels[start : start + 128, None]
        hits = np.cumsum(rel, axis=1)
        precision = hits / np.arange(1, gallery.shape[0] + 1)
        n_pos = rel.sum(axis=1)
        ap += list((precision * rel).sum(axis=1) / n_pos)
        ap100 += list((precision * rel)[:, :100].sum(axis=1) / np.minimum(n_pos, 100))
        top1 += list(rel[:, 0])
        top5 += list(rel[:, :5].any(axis=1))
    return {k: 100 * float(np.mean(v)) for k, v in {"map@100": ap100, "map": ap, "top1": top1, "top5": top5}.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--gallery", type=int, default=30000)
    parser.add_argument("--dim", type=int, default=128)
    parser.add_argument("--identities", type=int, default=1000)
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    centers = rng.standard_normal((args.identities, args.dim))
    gallery_labels = rng.integers(0, args.identities, args.gallery)
    query_labels = rng.integers(0, args.identities, args.queries)
    gallery = clustered(rng, args.gallery, centers, gallery_labels)
    queries = clustered(rng, args.queries, centers, query_labels)

    started = time.perf_counter()
    ours = retrieval_metrics(queries, query_labels, gallery, gallery_labels).to_dict()
    ours_seconds = time.perf_counter() - started
    started = time.perf_counter()
    peer = brute_force(queries, query_labels, gallery, gallery_labels)
    peer_seconds = time.perf_counter() - started
    agree = all(abs(ours[k] - peer[k]) < 1e-6 for k in peer)

    rows = [
        ("upgradeflow retrieval_metrics", ours_seconds),
        ("brute-force full sort (peer)", peer_seconds),
    ]
    print(f"{args.queries} queries x {args.gallery} gallery x {args.dim}-d, {os.cpu_count()} cores")
    print(f"{'implementation':32s} {'seconds':>8s}")
    for name, seconds in rows:
        print(f"{name:32s} {seconds:8.2f}")
    print(
        f"metrics agree: {agree}; budget {BUDGET_SECONDS:.0f} s: {'met' if ours_seconds < BUDGET_SECONDS else 'MISSED'}"
    )

    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "benchmark": "eval_speed",
                "config": vars(args),
                "seconds": {
                    "upgradeflow": round(ours_seconds, 3),
                    "brute_force_peer": round(peer_seconds, 3),
                },
                "speedup_over_peer": round(peer_seconds / ours_seconds, 2),
                "budget_seconds": BUDGET_SECONDS,
                "metrics": ours,
                "metrics_agree_with_peer": agree,
                "environment": {
                    "python": platform.python_version(),
                    "numpy": np.__version__,
                    "cpus": os.cpu_count(),
                },
            },
            indent=2,
        )
        + "\n"
    )
    return 0 if agree and ours_seconds < BUDGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())

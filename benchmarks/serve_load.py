"""Load test of the query service while an upgrade moves the pointers underneath it.

A local store gets a gallery of ``--rows`` x 128-d vectors (8 shards) whose items have
raw images, a live flat index over it, and an evolved version staged beside it. Then
``upgradeflow serve`` runs as its own process on loopback, ``--clients`` threads search
it (k=10, one query per request) for ``--seconds``, and meanwhile the command line
commits the evolved gallery, builds and swaps its index, runs and publishes two backfill
steps with a real model, rolls the index back, and finally tries to swap to an index with a corrupt
shard, which ``index swap`` refuses before the pointer moves.

Afterwards every answer is recomputed exactly from the version it names (the index
version and the backfill shards it reports): a response mixing two versions would not
match. Failed requests, mismatches, latency (p50/p99, end to end at the client) and how
long the service took to pick up each change are written to
``benchmarks/results/serve_load.json``. The peer is the same flat FAISS search run
in-process (one thread, one query at a time) in the same run.

    python benchmarks/serve_load.py [--rows 100000] [--seconds 60] [--clients 4]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import faiss
import httpx
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).parent))
from synthetic_gallery import environment

from upgradeflow.backfill.planning import read_columns
from upgradeflow.index.sharded import IndexCatalog
from upgradeflow.store.gallery import Gallery
from upgradeflow.store.importer import import_tables
from upgradeflow.store.local import LocalStore
from upgradeflow.store.shard_format import embeddings_of
from upgradeflow.upgrade.evolve import evolve_shard

RESULTS = Path(__file__).parent / "results" / "serve_load.json"
DIM = 128
SHARDS = 8
K = 10
IMAGE = 32
NAME = "g"
CLI = str(Path(sys.executable).parent / "upgradeflow")


# -- the store an upgrade leaves behind ------------------------------------------------
def _images(rows: int, rng: np.random.Generator) -> list[bytes]:
    """Small smooth grayscale PNGs (4x4 blocks scaled up: cheap to store and decode)."""
    from PIL import Image

    blocks = rng.integers(0, 256, size=(rows, 4, 4), dtype=np.uint8)
    encoded = []
    for block in blocks:
        buffer = io.BytesIO()
        Image.fromarray(np.kron(block, np.ones((IMAGE // 4, IMAGE // 4), dtype=np.uint8))).save(buffer, "PNG")
        encoded.append(buffer.getvalue())
    return encoded


def build_store(work: Path, rows: int, seed: int) -> dict:
    import torch

    from upgradeflow.models.adapter import AdapterConfig, MLPAdapter, save_adapter
    from upgradeflow.models.checkpoint import save_model
    from upgradeflow.models.config import ModelConfig
    from upgradeflow.models.embedder import EmbeddingModel

    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    ids = [f"item-{i:07d}" for i in range(rows)]
    images = work / "images.parquet"
    pq.write_table(
        pa.table({"id": ids, "identity": np.arange(rows) // 4, "image": pa.array(_images(rows, rng), pa.binary())}),
        images,
    )
    vectors = rng.standard_normal((rows, DIM), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    table = pa.table(
        {
            "id": ids,
            "embedding": pa.FixedSizeListArray.from_arrays(pa.array(vectors.reshape(-1)), DIM),
            "source": [f"parquet:{images}:{i}" for i in ids],
            "model": ["old"] * rows,
        }
    )
    pq.write_table(table, work / "v1.parquet")
    store = LocalStore(work / "store")
    gallery, catalog = Gallery(store, NAME), IndexCatalog(store, NAME)
    shard_rows = -(-rows // SHARDS)
    import_tables(gallery, work / "v1.parquet", version="v1", shard_rows=shard_rows, progress=False)
    version, _ = catalog.build(gallery, "v1", progress=False)
    catalog.swap(version)
    adapter = save_adapter(MLPAdapter(AdapterConfig(in_dim=DIM, hidden_dim=256, out_dim=DIM)), work / "adapter.pt")
    for shard in range(SHARDS):  # staged, committed during the load
        evolve_shard(gallery, adapter, "v1", shard, "v2")
    model = save_model(
        EmbeddingModel(ModelConfig(width=8, depth=2, embedding_dim=DIM, image_size=IMAGE)), work / "m.pt"
    )
    return {"store": str(store.root), "model": str(model), "shard_rows": shard_rows, "queries_seed": seed + 1}


# -- the service and its clients --------------------------------------------------------
def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_service(store: str, port: int, log: Path) -> subprocess.Popen:
    command = [CLI, "serve", "--root", store, "--gallery", NAME, "--index", NAME, "--port", str(port)]
    command += ["--poll-seconds", "0.5", "--log-level", "warning"]
    process = subprocess.Popen(command, stdout=log.open("w"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"serve_load: the service exited ({process.returncode}); see {log}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    process.kill()
    raise SystemExit(f"serve_load: the service did not become ready in 120 s; see {log}")


@dataclass
class Answer:
    started: float
    seconds: float
    status: int
    query: int
    ids: list[str] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)
    index_version: str = ""
    backfill: tuple[int, ...] | None = None
    error: str = ""


def client(base: str, queries: np.ndarray, stop: threading.Event, seed: int, out: list[Answer]) -> None:
    rng = np.random.default_rng(seed)
    with httpx.Client(base_url=base, timeout=10) as http:
        while not stop.is_set():
            query = int(rng.integers(len(queries)))
            started = time.perf_counter()
            try:
                response = http.post("/search", json={"vectors": [queries[query].tolist()], "k": K})
                seconds = time.perf_counter() - started
                answer = Answer(started, seconds, response.status_code, query)
                if response.status_code == 200:
                    body = response.json()
                    answer.ids = [hit["id"] for hit in body["results"][0]]
                    answer.scores = [hit["score"] for hit in body["results"][0]]
                    answer.index_version = body["index_version"]
                    if body["backfill"] is not None:
                        answer.backfill = tuple(body["backfill"]["shards_done"])
                else:
                    answer.error = response.text[:200]
            except httpx.HTTPError as error:
                answer = Answer(started, time.perf_counter() - started, 0, query, error=repr(error))
            out.append(answer)


# -- the upgrade happening meanwhile ----------------------------------------------------
def status(base: str) -> dict:
    return httpx.get(f"{base}/status", timeout=5).json()


def run_cli(*args: str) -> None:
    subprocess.run([CLI, *args], check=True, capture_output=True, text=True)


def operator(base: str, world: dict, work: Path, log: list[dict], start_at: float) -> None:
    store, model = world["store"], world["model"]
    where = ["--store", store]
    backfill = ["gallery", "backfill", NAME, *where, "--model", model, "--from", "v2", "--to", "v2.backfill"]
    backfill += ["--order", "random", "--data-dir", str(work), "--threads", "1", "--no-progress"]

    def corrupt_and_swap() -> None:
        run_cli("index", "build", NAME, *where, "--gallery", NAME, "--gallery-version", "v2", "--version", "v2.bad")
        shard = Path(store) / "indexes" / NAME / "versions" / "v2.bad" / "shards" / "shard-00003.faiss"
        blob = bytearray(shard.read_bytes())
        blob[len(blob) // 2] ^= 0xFF
        shard.write_bytes(bytes(blob))
        refused = subprocess.run([CLI, "index", "swap", NAME, *where, "v2.bad"], capture_output=True, text=True)
        if refused.returncode != 2 or "corrupt" not in refused.stderr:
            raise RuntimeError(f"a corrupt index was not refused: {refused.returncode} {refused.stderr}")

    steps = [
        (
            "commit evolved gallery",
            lambda: run_cli("gallery", "commit", NAME, *where, "v2"),
            lambda s: s["gallery"]["live"] == "v2",
        ),
        (
            "build and swap index",
            lambda: (
                run_cli("index", "build", NAME, *where, "--gallery", NAME, "--gallery-version", "v2", "--no-progress"),
                run_cli("index", "swap", NAME, *where, "v2.flat"),
            ),
            lambda s: s["index"]["version"] == "v2.flat",
        ),
        (
            "backfill and publish shard 0",
            lambda: (
                run_cli(*backfill, "--shard", "0"),
                run_cli("gallery", "publish-backfill", NAME, *where, "v2.backfill", "--shard", "0"),
            ),
            lambda s: (s["backfill"] or {}).get("shards_done") == [0],
        ),
        (
            "backfill and publish shard 1",
            lambda: (
                run_cli(*backfill, "--shard", "1"),
                run_cli("gallery", "publish-backfill", NAME, *where, "v2.backfill", "--shard", "1"),
            ),
            lambda s: (s["backfill"] or {}).get("shards_done") == [0, 1],
        ),
        (
            "roll the index back",
            lambda: run_cli("index", "rollback", NAME, *where),
            lambda s: s["index"]["version"] == "v1.flat",
        ),
        (
            "swap to a corrupt index (refused)",
            corrupt_and_swap,
            lambda s: s["index"]["version"] == "v1.flat" and s["last_error"] is None,
        ),
    ]
    time.sleep(max(0.0, start_at - time.perf_counter()))
    for name, act, seen in steps:
        began = time.perf_counter()
        act()
        done = time.perf_counter()
        while not seen(current := status(base)) and time.perf_counter() - done < 30:
            time.sleep(0.05)
        log.append(
            {
                "step": name,
                "started": began,
                "finished": done,
                "picked_up": seen(current),
                "pickup_seconds": round(time.perf_counter() - done, 3),
                "status_error": (current["last_error"] or {}).get("message"),
            }
        )
        time.sleep(2)


# -- checking every answer against the version it names --------------------------------
def read_version(gallery: Gallery, version: str) -> tuple[list[str], np.ndarray]:
    table = read_columns(gallery, version, ["id", "embedding"])
    return table.column("id").to_pylist(), embeddings_of(table)


def backfilled_rows(gallery: Gallery, version: str, shards: tuple[int, ...]) -> tuple[list[str], np.ndarray]:
    ids, vectors = [], []
    for shard in shards:
        with gallery.open_staged_shard(version, gallery.finished_shard(version, shard)) as path:
            table = pq.read_table(path, columns=["id", "embedding"])
        ids += table.column("id").to_pylist()
        vectors.append(embeddings_of(table))
    return ids, np.concatenate(vectors)


def check_answers(answers: list[Answer], store: str, queries: np.ndarray) -> dict:
    """Recompute each answer from its version; count those that do not match it."""
    gallery = Gallery(LocalStore(store), NAME)
    galleries = {"v1.flat": read_version(gallery, "v1"), "v2.flat": read_version(gallery, "v2")}
    groups: dict[tuple, list[Answer]] = {}
    for answer in answers:
        if answer.status == 200:
            groups.setdefault((answer.index_version, answer.backfill), []).append(answer)
    mismatched, seen = 0, {}
    for (index_version, backfill), group in groups.items():
        ids, vectors = galleries[index_version]
        vectors = vectors.copy()
        if backfill:
            new_ids, new_vectors = backfilled_rows(gallery, "v2.backfill", backfill)
            position = {item: row for row, item in enumerate(ids)}
            vectors[[position[item] for item in new_ids]] = new_vectors
        row_of = {item: row for row, item in enumerate(ids)}
        used = sorted({a.query for a in group})
        scores = queries[used] @ vectors.T
        top = -np.sort(-scores, axis=1)[:, :K]
        slot = {query: position for position, query in enumerate(used)}
        for answer in group:
            row = slot[answer.query]
            true_scores = scores[row, [row_of[item] for item in answer.ids]]
            ok = len(answer.ids) == K and np.allclose(answer.scores, top[row], atol=2e-5)
            ok = ok and np.allclose(true_scores, answer.scores, atol=2e-5)
            mismatched += not ok
        seen[f"{index_version} + backfill {list(backfill) if backfill is not None else '-'}"] = len(group)
    return {"mismatched": mismatched, "answers_by_version": seen}


def peer_latency(store: str, queries: np.ndarray) -> dict:
    """The same flat search in-process: one thread, one query at a time."""
    _, vectors = read_version(Gallery(LocalStore(store), NAME), "v1")
    faiss.omp_set_num_threads(1)
    index = faiss.IndexFlatIP(DIM)
    index.add(vectors)
    seconds = []
    for query in queries[:1000]:
        started = time.perf_counter()
        index.search(query[None], K)
        seconds.append(time.perf_counter() - started)
    return percentiles(np.array(seconds))


def percentiles(seconds: np.ndarray) -> dict:
    if len(seconds) == 0:
        return {"p50_ms": None, "p99_ms": None, "max_ms": None}
    return {
        "p50_ms": round(float(np.percentile(seconds, 50)) * 1000, 2),
        "p99_ms": round(float(np.percentile(seconds, 99)) * 1000, 2),
        "max_ms": round(float(seconds.max()) * 1000, 2),
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--target-p99-ms", type=float, default=50.0)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.rows < SHARDS * 100 or args.seconds <= 0 or args.clients < 1:
        parser.error("need --rows >= 800, --seconds > 0 and --clients >= 1")

    work = Path(tempfile.mkdtemp(prefix="serve-load-"))
    process = None
    try:
        print(f"building a {args.rows:,} x {DIM} gallery with images, its index and an evolved version ...", flush=True)
        world = build_store(work, args.rows, args.seed)
        rng = np.random.default_rng(world["queries_seed"])
        queries = rng.standard_normal((1000, DIM), dtype=np.float32)
        queries /= np.linalg.norm(queries, axis=1, keepdims=True)
        peer = peer_latency(world["store"], queries)
        port = free_port()
        process = start_service(world["store"], port, work / "serve.log")
        base = f"http://127.0.0.1:{port}"

        stop, answers, steps = threading.Event(), [[] for _ in range(args.clients)], []
        began = time.perf_counter()
        threads = [
            threading.Thread(target=client, args=(base, queries, stop, args.seed + c, answers[c]), daemon=True)
            for c in range(args.clients)
        ]
        for thread in threads:
            thread.start()
        acting = threading.Thread(target=operator, args=(base, world, work, steps, began + min(5.0, args.seconds / 6)))
        acting.start()
        acting.join()
        time.sleep(max(0.0, began + args.seconds - time.perf_counter()))
        stop.set()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - began
        final_status = status(base)
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=30)

    every = [a for group in answers for a in group]
    failed = [a for a in every if a.status != 200]
    busy = [(s["started"], s["finished"] + s["pickup_seconds"]) for s in steps]
    during = np.array([a.seconds for a in every if any(lo <= a.started <= hi for lo, hi in busy)])
    quiet = np.array([a.seconds for a in every if not any(lo <= a.started <= hi for lo, hi in busy)])
    checked = check_answers(every, world["store"], queries)
    service = percentiles(np.array([a.seconds for a in every]))
    result = {
        "benchmark": "serve_load",
        "config": {
            "rows": args.rows,
            "dim": DIM,
            "shards": SHARDS,
            "k": K,
            "clients": args.clients,
            "index": "flat",
            "poll_seconds": 0.5,
            "seconds": round(elapsed, 1),
        },
        "requests": len(every),
        "requests_per_second": round(len(every) / elapsed, 1),
        "failed": len(failed),
        "failures": sorted({f"{a.status} {a.error}" for a in failed})[:5],
        "mixed_or_wrong": checked["mismatched"],
        "answers_by_version": checked["answers_by_version"],
        "latency": service,
        "latency_while_changing": percentiles(during),
        "latency_steady": percentiles(quiet),
        "peer_inprocess_faiss": peer,
        "target_p99_ms": args.target_p99_ms,
        "meets_target": service["p99_ms"] is not None and service["p99_ms"] < args.target_p99_ms,
        "steps": [
            {k: v for k, v in s.items() if k not in ("started", "finished")}
            | {"at_seconds": round(s["started"] - began, 1), "took_seconds": round(s["finished"] - s["started"], 2)}
            for s in steps
        ],
        "final_status_error": (final_status["last_error"] or {}).get("message"),
        "environment": environment(),
    }
    shutil.rmtree(work, ignore_errors=True)
    print_table(result)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")
    return result


def print_table(result: dict) -> None:
    config = result["config"]
    print(
        f"\n{config['clients']} clients, {config['seconds']} s, "
        f"{config['rows']:,} x {config['dim']} flat, k={config['k']}:"
        f" {result['requests']:,} requests ({result['requests_per_second']}/s),"
        f" {result['failed']} failed, {result['mixed_or_wrong']} mixed or wrong"
    )
    print("| latency | p50 ms | p99 ms | max ms |\n|---|---|---|---|")
    for name in ("latency", "latency_steady", "latency_while_changing", "peer_inprocess_faiss"):
        row = result[name]
        print(f"| {name} | {row['p50_ms']} | {row['p99_ms']} | {row['max_ms']} |")
    print("\n| step | at s | took s | picked up | pickup s |\n|---|---|---|---|---|")
    for step in result["steps"]:
        print(
            f"| {step['step']} | {step['at_seconds']} | {step['took_seconds']} | {step['picked_up']} |"
            f" {step['pickup_seconds']} |"
        )
    print("\nanswers by version:", json.dumps(result["answers_by_version"]))
    verdict = "meets" if result["meets_target"] else "MISSES"
    print(f"p99 {result['latency']['p99_ms']} ms {verdict} the {result['target_p99_ms']} ms target")


if __name__ == "__main__":
    os.environ.setdefault("AWS_REQUEST_CHECKSUM_CALCULATION", "when_required")
    main()

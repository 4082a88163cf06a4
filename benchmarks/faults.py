"""kill -9 during every kind of storage work on S3, resume, and compare with a run never killed.

One upgrade lifecycle runs through the ``upgradeflow`` command line against a fresh
bucket on the project's Ceph RGW: a gallery of ``--rows`` x 64-d vectors whose items
have raw images (4 shards) and a second gallery of two 512-d shards over 64 MiB each
(so they go up as multipart uploads) are imported; indexed and swapped; evolved shard
by shard and committed; re-indexed and swapped; backfilled shard by shard with a real
model, published and committed; indexed and swapped again. Then one gc (``index gc``
and ``gallery gc``, ``--keep 1 --grace-hours 0``: nothing runs any more).

First everything runs uninterrupted on its own fresh bucket: the peer, which gives the
wall time to compare with and each command's timing. Then it runs again on another
fresh bucket, and commands of every kind, the gc's included, are killed with SIGKILL at
a random moment of their work (after their first sign of work, a scratch directory or
a change under their prefix, within the time the peer's command went on working; for
the large gallery, within 0.3 s of a multipart upload opening; for a command whose work
is over sooner than a listing can see it begin, such as a small gc, timed from its start
within the span the peer's took) and rerun to completion.
A kill that misses (the command finished first) passes its turn to the next command of
the same kind.

After the lifecycle, the live answers must be bit-identical to the peer's: ``index
search`` of a fixed query set on the live index (its output bytes, and the raw float32
scores and ids in-process), the live versions' shard checksums, the live index's file
checksums and the published backfill. After the gc there must be no staged version (no
manifest, not the published backfill), no hidden temporary object, no incomplete
multipart upload and no scratch directory of a dead process in the temp directory, and
the answers must still match the peer's after its gc. Kills per kind of work, resumes,
leftovers (count and bytes) before and after the gc, and both wall times go to
``benchmarks/results/faults.json``; the exit status is 1 unless ``--min-kills`` kills
landed, the answers matched and nothing was left.

    python benchmarks/faults.py [--rows 20000] [--big-shard-rows 36000] [--seed 0]
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import itertools
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).parent))
from serve_load import IMAGE, _images
from synthetic_gallery import environment

from upgradeflow.scratch import dead_scratch

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).parent / "results" / "faults.json"
CLI = str(Path(sys.executable).parent / "upgradeflow")
DIM, BIG_DIM, SHARDS, BIG_SHARDS = 64, 512, 4, 2
PREFIX = "root"  # the store's prefix inside the bucket
PROBE = ".conditional-write-probe"  # the S3 store's own private object, not a leftover
OPERATIONS = ("import", "evolve", "backfill", "index build", "commit", "gc")
POLL_S = 0.02  # how often a running command's scratch directory is looked for
LIST_EVERY = 5  # polls between two listings of the bucket
# A kill lands at most this long after an upload opens.
SHORT_WINDOW_S = 0.3
# A command whose work lasts less than this can be over before a listing shows it began:
# its kill is timed from its start instead, within the span the uninterrupted run took.
DETECTION_LAG_S = 0.5
QUERIES, K = 100, 10


@dataclass(frozen=True)
class Step:
    """One command of the lifecycle and how many kills it is owed."""

    operation: str
    argv: tuple[str, ...]
    kills: int
    watch: str  # key prefix under the store whose changes show the command at work
    trigger: str = "work"  # "work": a random moment of its work; "upload": while a multipart upload is open

    @property
    def label(self) -> str:
        """The command without its paths and options, and the shard it works on."""
        shards = [f"shard {value}" for option, value in itertools.pairwise(self.argv) if option == "--shard"]
        return " ".join([word for word in self.argv[:4] if not word.startswith("-")] + shards)


# -- the inputs both runs share ------------------------------------------------------
def unit_table(ids: list[str], vectors: np.ndarray, **columns) -> pa.Table:
    """An embedding table of ``vectors`` normalised (in place) to unit length."""
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    embedding = pa.FixedSizeListArray.from_arrays(pa.array(vectors.reshape(-1)), vectors.shape[1])
    return pa.table({"id": ids, "embedding": embedding, **columns})


def build_world(work: Path, rows: int, big_shard_rows: int, seed: int) -> dict[str, str]:
    """Input tables, images for the backfill's ``source``, two adapters, a model, queries."""
    import torch

    from upgradeflow.models.adapter import AdapterConfig, MLPAdapter, save_adapter
    from upgradeflow.models.checkpoint import save_model
    from upgradeflow.models.config import ModelConfig
    from upgradeflow.models.embedder import EmbeddingModel

    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    ids = [f"item-{i:07d}" for i in range(rows)]
    images = work / "images.parquet"
    encoded = pa.array(_images(rows, rng), pa.binary())
    pq.write_table(pa.table({"id": ids, "identity": np.arange(rows) // 4, "image": encoded}), images)
    sources = [f"parquet:{images}:{i}" for i in ids]
    vectors = rng.standard_normal((rows, DIM), dtype=np.float32)
    pq.write_table(unit_table(ids, vectors, source=sources, model=["old"] * rows), work / "g.parquet")
    big_rows = big_shard_rows * BIG_SHARDS
    big = rng.standard_normal((big_rows, BIG_DIM), dtype=np.float32)
    big_ids = [f"b-{i:07d}" for i in range(big_rows)]
    pq.write_table(unit_table(big_ids, big, model=["old"] * big_rows), work / "big.parquet")
    queries = rng.standard_normal((QUERIES, DIM), dtype=np.float32)
    pq.write_table(unit_table([f"q-{i}" for i in range(QUERIES)], queries), work / "queries.parquet")
    adapter = MLPAdapter(AdapterConfig(in_dim=DIM, hidden_dim=2 * DIM, out_dim=DIM))
    big_adapter = MLPAdapter(AdapterConfig(in_dim=BIG_DIM, hidden_dim=BIG_DIM, out_dim=BIG_DIM))
    model = EmbeddingModel(ModelConfig(width=8, depth=2, embedding_dim=DIM, image_size=IMAGE))
    return {
        "work": str(work),
        "g": str(work / "g.parquet"),
        "big": str(work / "big.parquet"),
        "queries": str(work / "queries.parquet"),
        "adapter": str(save_adapter(adapter, work / "adapter.pt")),
        "big_adapter": str(save_adapter(big_adapter, work / "big_adapter.pt")),
        "model": str(save_model(model, work / "model.pt")),
    }


def lifecycle(world: dict[str, str], rows: int, big_shard_rows: int) -> list[Step]:
    """The upgrade, command by command, with the kills each command is owed."""
    from upgradeflow.store.s3 import TRANSFER

    quiet, one = ("--no-progress",), ("--threads", "1")
    g, big, ig = "galleries/g", "galleries/big", "indexes/g"
    # Shards of the large gallery go up in parts: kill those commands while a part is in flight.
    parts = "upload" if big_shard_rows * BIG_DIM * 4 > TRANSFER.multipart_threshold else "work"

    def build(version: str, kills: int, *shard: str) -> Step:
        argv = ("index", "build", "g", "--gallery", "g", "--gallery-version", version, *quiet, *shard)
        return Step("index build", argv, kills, ig)

    def evolve(name: str, adapter: str, shard: int, trigger: str) -> Step:
        argv = ("gallery", "evolve", name, "--adapter", adapter, "--from", "v1", "--to", "v2", *quiet, *one)
        return Step("evolve", (*argv, "--shard", str(shard)), 1, f"galleries/{name}", trigger)

    def backfill(shard: int) -> Step:
        argv = ("gallery", "backfill", "g", "--model", world["model"], "--from", "v2", "--to", "v3")
        argv += ("--order", "random", "--seed", "0", "--data-dir", world["work"], *quiet, *one)
        return Step("backfill", (*argv, "--shard", str(shard)), 1, g)

    def publish(*shards: int) -> Step:
        argv = ("gallery", "publish-backfill", "g", "v3", *(word for s in shards for word in ("--shard", str(s))))
        return Step("backfill", argv, 1, g)

    import_g = ("gallery", "import", "g", "--from", world["g"], "--version", "v1")
    import_big = ("gallery", "import", "big", "--from", world["big"], "--version", "v1")
    return [
        Step("import", (*import_g, "--shard-rows", str(-(-rows // SHARDS)), *quiet), 3, g),
        Step("import", (*import_big, "--shard-rows", str(big_shard_rows), *quiet), 3, big, parts),
        build("v1", 2),
        Step("commit", ("index", "swap", "g", "v1.flat"), 1, ig),
        *(evolve("g", world["adapter"], shard, "work") for shard in range(SHARDS)),
        *(evolve("big", world["big_adapter"], shard, parts) for shard in range(BIG_SHARDS)),
        Step("commit", ("gallery", "commit", "g", "v2", *quiet), 2, g),
        Step("commit", ("gallery", "commit", "big", "v2", *quiet), 2, big),
        *(build("v2", 1, "--shard", str(shard)) for shard in range(SHARDS)),
        build("v2", 1),  # seals the index once every shard is built
        Step("commit", ("index", "swap", "g", "v2.flat"), 1, ig),
        backfill(0),
        publish(0),
        backfill(1),
        publish(1),
        *(backfill(shard) for shard in range(2, SHARDS)),
        publish(),
        Step("commit", ("gallery", "commit", "g", "v3", *quiet), 1, g),
        build("v3", 2),
        Step("commit", ("index", "swap", "g", "v3.flat"), 1, ig),
    ]


# The one gc after the lifecycle: nothing runs any more, so no grace period is needed;
# its commands are killed and resumed too.
GC = [
    Step("gc", ("index", "gc", "g", "--keep", "1", "--grace-hours", "0"), 2, "indexes/g"),
    Step("gc", ("gallery", "gc", "g", "--keep", "1", "--grace-hours", "0"), 2, "galleries/g"),
    Step("gc", ("gallery", "gc", "big", "--keep", "1", "--grace-hours", "0"), 2, "galleries/big"),
]


# -- the S3 side ---------------------------------------------------------------------
def s3_client():
    import boto3

    from upgradeflow.store.s3 import CLIENT_CONFIG

    return boto3.client("s3", config=CLIENT_CONFIG)


def s3_environment() -> None:
    """Point boto3 (here and in every command) at the project's S3 server unless set."""
    if os.environ.get("AWS_ENDPOINT_URL"):
        return
    script = ROOT / "scripts" / "s3-server.sh"
    exports = subprocess.run(["bash", str(script), "env"], check=True, capture_output=True, text=True).stdout
    for line in exports.splitlines():
        name, _, value = line.removeprefix("export ").partition("=")
        os.environ[name] = value.strip("'\"")


@contextlib.contextmanager
def fresh_bucket(client):
    """A new bucket, emptied (objects and open uploads) and removed afterwards."""
    bucket = f"upgradeflow-faults-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=bucket)
    try:
        yield bucket
    finally:
        for upload in uploads(client, bucket):
            client.abort_multipart_upload(Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"])
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
            if keys:
                client.delete_objects(Bucket=bucket, Delete={"Objects": keys})
        client.delete_bucket(Bucket=bucket)


def uploads(client, bucket: str, prefix: str = "") -> list[dict]:
    pages = client.get_paginator("list_multipart_uploads").paginate(Bucket=bucket, Prefix=prefix)
    return [upload for page in pages for upload in page.get("Uploads", [])]


def objects(client, bucket: str, prefix: str = "") -> dict[str, int]:
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return {item["Key"]: item["Size"] for page in pages for item in page.get("Contents", [])}


def leftovers(client, bucket: str, tmp: Path) -> dict:
    """What killed writers can leave: staged versions (no manifest, not the published
    backfill), hidden temporary objects, incomplete multipart uploads, and scratch
    directories of dead processes; with the bucket's totals."""
    stored = objects(client, bucket)
    versions: dict[str, dict[str, int]] = {}
    for key, size in stored.items():
        parts = key.split("/")
        if len(parts) > 5 and parts[1] in ("galleries", "indexes") and parts[3] == "versions":
            versions.setdefault("/".join(parts[:5]), {})[parts[-1]] = size
    published = set()
    for key in stored:
        if key.endswith("/BACKFILL"):
            published.add(f"{key.rsplit('/', 1)[0]}/versions/{json.loads(read(client, bucket, key))['target']}")
    staged = {v: files for v, files in versions.items() if "manifest.json" not in files and v not in published}
    hidden = {k: s for k, s in stored.items() if Path(k).name.startswith(".") and Path(k).name != PROBE}
    open_uploads = uploads(client, bucket)
    upload_bytes = 0
    for upload in open_uploads:
        pages = client.get_paginator("list_parts").paginate(
            Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"]
        )
        upload_bytes += sum(part["Size"] for page in pages for part in page.get("Parts", []))
    scratch = dead_scratch(tmp)
    return {
        "staged_versions": len(staged),
        "staged_bytes": sum(sum(files.values()) for files in staged.values()),
        "staged_names": sorted(v.split("/", 2)[2] for v in staged),
        "hidden_temp_objects": len(hidden),
        "hidden_temp_bytes": sum(hidden.values()),
        "multipart_uploads": len(open_uploads),
        "multipart_bytes": upload_bytes,
        "dead_scratch_dirs": len(scratch),
        "dead_scratch_bytes": sum(f.stat().st_size for d in scratch for f in d.rglob("*") if f.is_file()),
        "objects": len(stored),
        "bytes": sum(stored.values()),
    }


def read(client, bucket: str, key: str) -> bytes:
    return client.get_object(Bucket=bucket, Key=key)["Body"].read()


# -- running, killing and resuming commands ------------------------------------------
@dataclass
class Timing:
    seconds: float  # start to exit
    working: float | None  # start to its first sign of work (None: never seen)


class Runner:
    """Runs the lifecycle's commands against one bucket, killing them on request."""

    def __init__(self, client, bucket: str, tmp: Path, log: Path):
        self.client, self.bucket, self.tmp, self.log = client, bucket, tmp, log
        self.store = f"s3://{bucket}/{PREFIX}"
        self.env = os.environ | {"TMPDIR": str(tmp)}  # its scratch directories, apart from anyone else's

    def command(self, argv: tuple[str, ...]) -> list[str]:
        return [CLI, *argv, "--store", self.store]

    def _state(self, step: Step) -> tuple[frozenset, frozenset]:
        """The keys and the open multipart uploads under the step's watched prefix."""
        prefix = f"{PREFIX}/{step.watch}/"
        keys = frozenset(objects(self.client, self.bucket, prefix))
        return keys, frozenset(upload["UploadId"] for upload in uploads(self.client, self.bucket, prefix))

    def attempt(self, step: Step, delay: float | None, from_start: bool = False) -> tuple[int, Timing, float | None]:
        """Run ``step``; with ``delay``, SIGKILL it that long after its first sign of work:
        a scratch directory of its own or a change under the watched prefix (for an
        "upload" step: a multipart upload it opened), or, ``from_start``, that long after
        it started. Returns the exit status (-9 when killed), its timing, and when the
        kill was sent."""
        before = self._state(step)
        started = time.perf_counter()
        with self.log.open("a") as out:
            out.write(f"$ {' '.join(step.argv)}\n")
            out.flush()
            process = subprocess.Popen(self.command(step.argv), stdout=out, stderr=out, env=self.env)
            working = killed = None
            for poll in itertools.count():
                if process.poll() is not None:
                    break
                now = time.perf_counter() - started
                if working is None and self._working(process.pid, step, before, poll % LIST_EVERY == 0):
                    working = now
                since = 0.0 if from_start else working
                if delay is not None and since is not None and now >= since + delay:
                    process.send_signal(signal.SIGKILL)
                    killed = now
                    break
                time.sleep(POLL_S)
            status = process.wait()
        return status, Timing(time.perf_counter() - started, working), killed

    def _working(self, pid: int, step: Step, before: tuple[frozenset, frozenset], listing: bool) -> bool:
        if step.trigger == "work" and any(self.tmp.glob(f"upgradeflow-{pid}-*")):
            return True
        if not listing:
            return False
        keys, opened = self._state(step)
        return bool(opened - before[1]) if step.trigger == "upload" else (keys, opened) != before

    def open_uploads(self) -> set[str]:
        return {upload["UploadId"] for upload in uploads(self.client, self.bucket)}

    def finish(self, step: Step) -> Timing:
        status, timing, _ = self.attempt(step, None)
        if status != 0:
            raise self.failed(step, status)
        return timing

    def failed(self, step: Step, status: int) -> RuntimeError:
        """A resume that did not finish: a finding, with the command's last words."""
        tail = self.log.read_text().splitlines()[-3:]
        return RuntimeError(f"{' '.join(step.argv)} exited {status}: " + " | ".join(tail))


def run_lifecycle(runner: Runner, steps: list[Step], peer: list[Timing] | None, rng: random.Random) -> dict:
    """Every step to completion; with the ``peer``'s timings, first kill each step as
    often as it is owed, each time at a random moment of the work the peer saw after
    its first sign of work."""
    timings, kills, missed, owed = [], [], Counter(), Counter()
    started = time.perf_counter()
    for number, step in enumerate(steps):
        owed[step.operation] += step.kills if peer is not None else 0
        timing = None
        while owed[step.operation] > 0 and timing is None:
            reference = peer[number]
            from_start = False
            if step.trigger == "upload":
                delay = rng.uniform(0, SHORT_WINDOW_S)
            elif reference.working is None or reference.seconds - reference.working < DETECTION_LAG_S:
                begun = reference.seconds / 2 if reference.working is None else reference.working - DETECTION_LAG_S
                delay, from_start = rng.uniform(max(0.0, begun), reference.seconds), True
            else:
                delay = rng.uniform(0, reference.seconds - reference.working)
            open_before = runner.open_uploads()
            status, attempt, killed = runner.attempt(step, delay, from_start)
            if status == 0:  # it finished first: the next command of this kind takes the kill
                missed[step.operation] += 1
                timing = attempt
            elif status == -signal.SIGKILL:
                owed[step.operation] -= 1
                left_open = len(runner.open_uploads() - open_before)
                kills.append({"operation": step.operation, "command": step.label, "at_s": round(killed, 3)})
                kills[-1]["left_open_uploads"] = left_open
            else:
                raise runner.failed(step, status)
        timings.append(timing or runner.finish(step))
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "timings": timings, "kills": kills, "missed": missed, "unlanded": owed}


# -- what the live system answers ----------------------------------------------------
def answers(runner: Runner, queries: str) -> dict:
    """The live answers: ``index search`` output bytes, raw in-process scores and ids,
    and the checksums of everything live."""
    from upgradeflow.backfill.marker import published_marker
    from upgradeflow.index.sharded import IndexCatalog, ShardedIndex
    from upgradeflow.store.gallery import Gallery
    from upgradeflow.store.location import open_store
    from upgradeflow.store.shard_format import embeddings_of

    search = ("index", "search", "g", "--queries", queries, "--k", str(K))
    output = subprocess.run(runner.command(search), capture_output=True, check=True, env=runner.env).stdout
    store = open_store(runner.store)
    catalog = IndexCatalog(store, "g")
    index = ShardedIndex.load(catalog)
    scores, ids = index.search(embeddings_of(pq.read_table(queries)), K)
    live = {}
    for name in ("g", "big"):
        gallery = Gallery(store, name)
        manifest = gallery.manifest()
        live[name] = {"version": manifest["version"], "sha256": [s["sha256"] for s in manifest["shards"]]}
    marker = published_marker(Gallery(store, "g"))
    return {
        "search_output_sha256": hashlib.sha256(output).hexdigest(),
        "scores_sha256": hashlib.sha256(np.ascontiguousarray(scores, dtype=np.float32).tobytes()).hexdigest(),
        "ids_sha256": hashlib.sha256(json.dumps(ids.tolist()).encode()).hexdigest(),
        "galleries": live,
        "index": {
            "version": index.manifest["version"],
            "files": [(s["faiss_sha256"], s["ids_sha256"]) for s in index.manifest["shards"]],
        },
        "backfill": None if marker is None else [marker.source, marker.target, list(marker.shards)],
    }


# -- the benchmark -------------------------------------------------------------------
def run_both_phases(runner: Runner, world: dict[str, str], steps: list[Step], peer: dict | None, seed: int) -> dict:
    """The upgrade, the live answers and what is left, then the gc and the same again;
    with the ``peer``'s run to time them, commands are killed and resumed."""
    rng = random.Random(seed)
    run = {"upgrade": run_lifecycle(runner, steps, peer and peer["upgrade"]["timings"], rng)}
    run["answers"] = answers(runner, world["queries"])
    run["before_gc"] = leftovers(runner.client, runner.bucket, runner.tmp)
    run["gc"] = run_lifecycle(runner, GC, peer and peer["gc"]["timings"], rng)
    run["after_gc"] = leftovers(runner.client, runner.bucket, runner.tmp)
    run["answers_after_gc"] = answers(runner, world["queries"])
    return run


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=20_000, help="rows of the gallery with images (4 shards)")
    parser.add_argument(
        "--big-shard-rows", type=int, default=36_000, help="rows per shard of the 512-d gallery (36,000: 70 MiB)"
    )
    parser.add_argument("--min-kills", type=int, default=30, help="fail unless at least this many kills land")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if args.rows < SHARDS * 100 or args.big_shard_rows < 1:
        parser.error("need --rows >= 400 and --big-shard-rows >= 1")

    s3_environment()
    client = s3_client()
    work = Path(tempfile.mkdtemp(prefix="faults-"))
    try:
        print(f"building {args.rows:,} x {DIM} with images and {BIG_SHARDS} x {args.big_shard_rows:,} x {BIG_DIM} ...")
        world = build_world(work, args.rows, args.big_shard_rows, args.seed)
        steps = lifecycle(world, args.rows, args.big_shard_rows)
        runs: dict[str, dict] = {}
        for name in ("peer", "faulted"):
            tmp = work / f"tmp-{name}"
            tmp.mkdir()
            with fresh_bucket(client) as bucket:
                print(f"{name}: {len(steps)} commands, then {len(GC)} of gc, on s3://{bucket} ...", flush=True)
                runner = Runner(client, bucket, tmp, work / f"{name}.log")
                runs[name] = run_both_phases(runner, world, steps, runs.get("peer"), args.seed)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    peer, faulted = runs["peer"], runs["faulted"]
    every_kill = faulted["upgrade"]["kills"] + faulted["gc"]["kills"]
    kills = Counter(kill["operation"] for kill in every_kill)
    after = faulted["after_gc"]
    clean = not any(after[key] for key in ("staged_versions", "hidden_temp_objects", "multipart_uploads"))
    clean = clean and after["dead_scratch_dirs"] == 0
    result = {
        "benchmark": "faults",
        "config": {
            "rows": args.rows,
            "dim": DIM,
            "shards": SHARDS,
            "big_shard_rows": args.big_shard_rows,
            "big_dim": BIG_DIM,
            "big_shards": BIG_SHARDS,
            "commands": len(steps) + len(GC),
            "seed": args.seed,
            "store": "Ceph RGW (S3), a fresh bucket per run",
            "gc": [" ".join(step.argv) for step in GC],
        },
        "kills": {op: kills.get(op, 0) for op in OPERATIONS},
        "total_kills": len(every_kill),
        "resumes": len(every_kill),
        "kills_missed": dict(faulted["upgrade"]["missed"] + faulted["gc"]["missed"]),
        "kills_unlanded": dict(faulted["upgrade"]["unlanded"] + faulted["gc"]["unlanded"]),
        "kills_leaving_an_open_multipart_upload": sum(k["left_open_uploads"] > 0 for k in every_kill),
        "answers_match": faulted["answers"] == peer["answers"],
        "answers_match_after_gc": faulted["answers_after_gc"] == peer["answers_after_gc"],
        "leftovers_before_gc": faulted["before_gc"],
        "leftovers_after_gc": after,
        "peer_leftovers_before_gc": peer["before_gc"],
        "no_leftovers_after_gc": clean,
        "seconds": round(faulted["upgrade"]["seconds"] + faulted["gc"]["seconds"], 1),
        "peer_uninterrupted_seconds": round(peer["upgrade"]["seconds"] + peer["gc"]["seconds"], 1),
        "answers": peer["answers"],
        "kill_log": every_kill,
        "environment": environment(),
    }
    print_table(result)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")
    matched = result["answers_match"] and result["answers_match_after_gc"]
    if result["total_kills"] < args.min_kills or not (clean and matched):
        raise SystemExit(1)
    return result


def print_table(result: dict) -> None:
    print("\n| operation | kills |\n|---|---|")
    for op in OPERATIONS:
        print(f"| {op} | {result['kills'][op]} |")
    print(f"| **total** (each followed by a resume) | **{result['total_kills']}** |")
    before, after = result["leftovers_before_gc"], result["leftovers_after_gc"]
    print("\n| leftover | before gc | after gc | uninterrupted run |\n|---|---|---|---|")
    peer = result["peer_leftovers_before_gc"]
    for name, size in [
        ("staged_versions", "staged_bytes"),
        ("hidden_temp_objects", "hidden_temp_bytes"),
        ("multipart_uploads", "multipart_bytes"),
        ("dead_scratch_dirs", "dead_scratch_bytes"),
        ("objects", "bytes"),
    ]:
        cells = [f"{row[name]} ({row[size] / 2**20:.1f} MiB)" for row in (before, after, peer)]
        print(f"| {name} | " + " | ".join(cells) + " |")
    print(
        f"\nlive answers bit-identical to the uninterrupted run: {result['answers_match']}"
        f" (after gc: {result['answers_match_after_gc']}); no leftovers after one gc: {result['no_leftovers_after_gc']}"
    )
    print(f"wall time {result['seconds']} s, uninterrupted {result['peer_uninterrupted_seconds']} s")


if __name__ == "__main__":
    main()

"""Pairs-file validation speed: how long a 100,000-row file takes to be refused.

Writes a valid pairs file (100,000 rows, 384-d old and new embeddings, as from two text
encoders) and one copy per illegal shape, each broken in its LAST row so the whole file
must be read and checked before the problem is found. Times ``upgradeflow bench pairs``
as a user runs it (a fresh process, imports included) until it exits with status 2 and
one line, against the 2 s budget, beside a peer measured in the same run: the same
process doing nothing but reading the file with ``pyarrow.parquet.read_table``.

    python benchmarks/pairs_validation.py [--rows 100000] [--dim 384]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

BUDGET_SECONDS = 2.0
RESULTS = Path(__file__).parent / "results" / "pairs_validation.json"


def valid_table(rows: int, dim: int) -> pa.Table:
    rng = np.random.default_rng(0)
    roles = np.array(["train"] * (rows - 2 * (rows // 10)) + ["query"] * (rows // 10) + ["gallery"] * (rows // 10))
    identities = np.arange(rows) // 2

    def vectors() -> pa.Array:
        x = rng.standard_normal((rows, dim)).astype(np.float32)
        return pa.FixedSizeListArray.from_arrays(pa.array(x.reshape(-1)), dim)

    identities[roles == "gallery"] = identities[roles == "query"]  # every query has a positive
    return pa.table(
        {
            "id": pa.array([f"item-{i}" for i in range(rows)]),
            "identity": pa.array(identities, pa.int64()),
            "role": pa.array(roles),
            "old_embedding": vectors(),
            "new_embedding": vectors(),
        }
    )


def _replace_last(table: pa.Table, name: str, value) -> pa.Table:
    column = table.column(name).combine_chunks()
    values = column.to_pylist() if name in ("id", "role", "identity") else None
    if values is None:  # an embedding: rebuild the last row only
        dim = column.type.list_size
        flat = np.asarray(column.flatten().to_numpy(zero_copy_only=False)).copy()
        flat[-dim:] = value
        replaced = pa.FixedSizeListArray.from_arrays(pa.array(flat), dim)
    else:
        values[-1] = value
        replaced = pa.array(values, column.type)
    return table.set_column(table.schema.get_field_index(name), name, replaced)


ILLEGAL = {
    "nan in the last row": lambda t: _replace_last(t, "new_embedding", np.nan),
    "all-zero last vector": lambda t: _replace_last(t, "old_embedding", 0.0),
    "duplicate last id": lambda t: _replace_last(t, "id", "item-0"),
    "unknown last role": lambda t: _replace_last(t, "role", "test"),
    "last gallery row without identity": lambda t: _replace_last(t, "identity", None),
    "no query identity in the gallery": lambda t: t.set_column(
        1,
        "identity",
        pc.if_else(pc.equal(t.column("role"), "gallery"), pc.add(t.column("identity"), 10**9), t.column("identity")),
    ),
}


def run(command: list[str]) -> tuple[float, int, str]:
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    return time.perf_counter() - started, done.returncode, done.stderr.strip()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--dim", type=int, default=384)
    args = parser.parse_args()

    upgradeflow = [str(Path(sys.executable).parent / "upgradeflow")]
    rows, ok = [], True
    with tempfile.TemporaryDirectory() as work:
        base = valid_table(args.rows, args.dim)
        valid = Path(work) / "valid.parquet"
        pq.write_table(base, valid)
        os.sync()  # time reading, not the write-back of what was just written
        peer_seconds, _, _ = run([sys.executable, "-c", f"import pyarrow.parquet as pq; pq.read_table({str(valid)!r})"])
        for shape, spoil in ILLEGAL.items():
            path = Path(work) / "illegal.parquet"
            pq.write_table(spoil(base), path)
            os.sync()
            seconds, status, error = run(
                [*upgradeflow, "bench", "pairs", "--pairs", str(path), "--out", f"{work}/r.json"]
            )
            one_line = len(error.splitlines()) == 1 and error.startswith("upgradeflow: error: ")
            refused = status == 2 and one_line and not Path(f"{work}/r.json").exists()
            ok &= refused and seconds < BUDGET_SECONDS
            rows.append({"shape": shape, "seconds": round(seconds, 3), "exit": status, "message": error})

    print(f"{args.rows} rows, {args.dim}-d old and new, {os.cpu_count()} cores; peer (read only): {peer_seconds:.2f} s")
    print(f"{'illegal shape':36s} {'seconds':>8s} {'exit':>5s}  message")
    for row in rows:
        print(f"{row['shape']:36s} {row['seconds']:8.2f} {row['exit']:5d}  {row['message'][-70:]}")
    print(f"budget {BUDGET_SECONDS:.0f} s, one line, exit 2, nothing written: {'met' if ok else 'MISSED'}")

    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "benchmark": "pairs_validation",
        "config": vars(args),
        "peer_read_only_seconds": round(peer_seconds, 3),
        "budget_seconds": BUDGET_SECONDS,
        "shapes": rows,
        "all_refused_within_budget": ok,
        "environment": {"python": platform.python_version(), "pyarrow": pa.__version__, "cpus": os.cpu_count()},
    }
    RESULTS.write_text(json.dumps(document, indent=2) + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

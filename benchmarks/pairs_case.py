"""Record one paired-embedding case under ``benchmarks/results/`` through the same code
as ``upgradeflow bench pairs``, so a case built by a script and one run from the command
line give the same report."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from upgradeflow.bench.pairs import pairs_benchmark
from upgradeflow.bench.pairs_report import pairs_markdown
from upgradeflow.data.paired_embeddings import read_pairs

RESULTS = Path(__file__).parent / "results"


def record_case(pairs: Path, name: str, train_rows: int | None = None) -> dict:
    """Run the benchmark on ``pairs`` and write ``results/pairs-<name>.{json,md}``."""
    report = lambda line: print(line, file=sys.stderr, flush=True)  # noqa: E731
    result = {"pairs": str(pairs)} | pairs_benchmark(read_pairs(pairs), train_rows, report=report)
    out = RESULTS / f"pairs-{name}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    out.with_suffix(".md").write_text(pairs_markdown(result))
    print(pairs_markdown(result))
    print(f"wrote {out} and {out.with_suffix('.md')}")
    return result

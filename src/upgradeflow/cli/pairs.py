"""``upgradeflow adapters fit`` and ``upgradeflow bench pairs``: an upgrade between two
fixed models, from paired embeddings alone."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from upgradeflow.atomic import write_text_atomic
from upgradeflow.cli.args import non_negative_int, output_dir, output_file, positive_int
from upgradeflow.errors import EXIT_GATE_FAILED


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def cmd_adapters_fit(args: argparse.Namespace) -> int:
    from upgradeflow.data.paired_embeddings import read_pairs

    train_rows = read_pairs(args.pairs, evaluate=False)["train"]  # before torch is imported

    from upgradeflow.bench.pairs import fit_pair_adapters, subsample
    from upgradeflow.models.adapter import save_adapter

    train = subsample(train_rows, args.train_rows, args.seed)
    started = time.perf_counter()
    forward, reverse = fit_pair_adapters(train, args.seed, _stderr)
    seconds = round(time.perf_counter() - started, 1)
    source = {"pairs": str(args.pairs), "train_rows": len(train.identities)}
    paths = {
        "forward": save_adapter(
            forward.adapter, args.out / "forward", {"direction": "old-to-new", **source, "selection": forward.record}
        ),
        "reverse": save_adapter(
            reverse.adapter, args.out / "reverse", {"direction": "new-to-old", **source, "selection": reverse.record}
        ),
    }
    chosen = {"forward_family": forward.family, "reverse_family": reverse.family}
    print(json.dumps({name: str(p) for name, p in paths.items()} | chosen | {"seconds": seconds}))
    return 0


def cmd_bench_pairs(args: argparse.Namespace) -> int:
    from upgradeflow.data.paired_embeddings import read_pairs

    parts = read_pairs(args.pairs)  # before torch is imported: a bad file is refused in a second or two

    from upgradeflow.bench.pairs import pairs_benchmark
    from upgradeflow.bench.pairs_report import pairs_markdown

    result = {"pairs": str(args.pairs)} | pairs_benchmark(parts, args.train_rows, args.seed, _stderr)
    write_text_atomic(args.out, json.dumps(result, indent=2) + "\n")
    table = pairs_markdown(result)
    write_text_atomic(args.out.with_suffix(".md"), table)
    print(table)
    print(f"wrote {args.out} and {args.out.with_suffix('.md')}")
    if result["new_model_worse"] and args.gate:
        print(f"upgradeflow: gate: {result['verdict']}")
        return EXIT_GATE_FAILED
    return 0


def _pairs_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--pairs", type=Path, required=True, help="Parquet: id, role, old_embedding, new_embedding, identity"
    )
    parser.add_argument(
        "--train-rows", type=positive_int, help="fit on this many train rows, drawn at random (default: all)"
    )
    parser.add_argument("--seed", type=non_negative_int, default=0)


def add_adapters_parser(commands: argparse._SubParsersAction) -> None:
    adapters = commands.add_parser("adapters", help="adapters between two fixed models").add_subparsers(
        dest="action", required=True
    )
    fit = adapters.add_parser(
        "fit",
        help="choose forward (old to new) and reverse (new to old) adapters from pairs: closed forms and "
        "learned residuals, by held-out retrieval",
    )
    _pairs_arguments(fit)
    fit.add_argument(
        "--out", type=output_dir, required=True, help="directory for forward.pt/.json and reverse.pt/.json"
    )
    fit.set_defaults(func=cmd_adapters_fit)


def add_pairs_bench(bench: argparse._SubParsersAction) -> None:
    pairs = bench.add_parser("pairs", help="measure an upgrade between two fixed models from paired embeddings")
    _pairs_arguments(pairs)
    pairs.add_argument("--out", type=output_file, required=True, help="result JSON; the .md table goes beside it")
    pairs.add_argument(
        "--gate",
        action="store_true",
        help=f"exit with status {EXIT_GATE_FAILED} when the new model is worse than the old (new/new < old/old)",
    )
    pairs.set_defaults(func=cmd_bench_pairs)

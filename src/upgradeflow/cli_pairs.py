"""``upgradeflow adapters fit`` and ``upgradeflow bench pairs``: an upgrade between two
fixed models, from paired embeddings alone."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from upgradeflow.atomic import write_text_atomic
from upgradeflow.cli_args import non_negative_int, positive_int

EXIT_NEW_MODEL_WORSE = 4  # as the pipeline's failed gate: a distinct status to stop on


def cmd_adapters_fit(args: argparse.Namespace) -> int:
    from upgradeflow.backfill.reverse_adapter import ReverseConfig, fit_reverse_adapter
    from upgradeflow.bench.pairs import fit_forward, subsample
    from upgradeflow.data.paired_embeddings import read_pairs
    from upgradeflow.models.adapter import save_adapter

    train = subsample(read_pairs(args.pairs)["train"], args.train_rows, args.seed)
    started = time.perf_counter()
    forward, distance = fit_forward(train, args.seed)
    reverse = fit_reverse_adapter(train.new, train.old, train.identities, ReverseConfig(seed=args.seed))
    seconds = round(time.perf_counter() - started, 1)
    source = {"pairs": str(args.pairs), "train_rows": len(train.identities)}
    paths = {
        "forward": save_adapter(forward, args.out / "forward", {"direction": "old-to-new", **source}),
        "reverse": save_adapter(reverse, args.out / "reverse", {"direction": "new-to-old", "loss": "metric", **source}),
    }
    print(json.dumps({name: str(p) for name, p in paths.items()} | {"seconds": seconds, "forward_distance": distance}))
    return 0


def cmd_bench_pairs(args: argparse.Namespace) -> int:
    from upgradeflow.bench.pairs import pairs_benchmark
    from upgradeflow.bench.pairs_report import pairs_markdown
    from upgradeflow.data.paired_embeddings import read_pairs

    result = {"pairs": str(args.pairs)} | pairs_benchmark(read_pairs(args.pairs), args.train_rows, args.seed)
    write_text_atomic(args.out, json.dumps(result, indent=2) + "\n")
    table = pairs_markdown(result)
    write_text_atomic(args.out.with_suffix(".md"), table)
    print(table)
    print(f"wrote {args.out} and {args.out.with_suffix('.md')}")
    if result["new_model_worse"] and args.gate:
        print(f"upgradeflow: gate: {result['verdict']}")
        return EXIT_NEW_MODEL_WORSE
    return 0


def _pairs_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--pairs", type=Path, required=True, help="Parquet: id, identity, role, old/new_embedding")
    parser.add_argument(
        "--train-rows", type=positive_int, help="fit on this many train rows, drawn at random (default: all)"
    )
    parser.add_argument("--seed", type=non_negative_int, default=0)


def add_adapters_parser(commands: argparse._SubParsersAction) -> None:
    adapters = commands.add_parser("adapters", help="adapters between two fixed models").add_subparsers(
        dest="action", required=True
    )
    fit = adapters.add_parser("fit", help="fit forward (old to new) and reverse (new to old) adapters from pairs")
    _pairs_arguments(fit)
    fit.add_argument("--out", type=Path, required=True, help="directory for forward.pt/.json and reverse.pt/.json")
    fit.set_defaults(func=cmd_adapters_fit)


def add_pairs_bench(bench: argparse._SubParsersAction) -> None:
    pairs = bench.add_parser("pairs", help="measure an upgrade between two fixed models from paired embeddings")
    _pairs_arguments(pairs)
    pairs.add_argument("--out", type=Path, required=True, help="result JSON; the .md table goes beside it")
    pairs.add_argument(
        "--gate",
        action="store_true",
        help=f"exit with status {EXIT_NEW_MODEL_WORSE} when the new model is worse than the old (new/new < old/old)",
    )
    pairs.set_defaults(func=cmd_bench_pairs)

"""``upgradeflow bench trade-off``: several ``bench compat`` results read against BCT's
λ curve (``bench/trade_off.py``)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from upgradeflow.atomic import write_text_atomic
from upgradeflow.cli.args import output_file


def cmd_bench_trade_off(args: argparse.Namespace) -> int:
    from upgradeflow.bench.trade_off import merge_runs, trade_off, trade_off_markdown
    from upgradeflow.evaluation.plot import plot_lambda_curves

    merged = merge_runs(args.results)
    result = trade_off(merged)
    table = trade_off_markdown(merged, result)
    document = {key: merged[key] for key in ("dataset", "scenario", "quick", "seeds", "sources")} | result
    write_text_atomic(args.out, json.dumps(document, indent=2) + "\n")
    write_text_atomic(args.out.with_suffix(".md"), table)
    plot_lambda_curves(merged, result, args.out.with_suffix(".png"))
    print(table)
    print(f"wrote {args.out}, {args.out.with_suffix('.md')}, {args.out.with_suffix('.png')}")
    return 0


def add_trade_off_bench(bench: argparse._SubParsersAction) -> None:
    parser = bench.add_parser(
        "trade-off", help="merge compat results of one split and place every method against BCT's λ curve"
    )
    parser.add_argument("results", type=Path, nargs="+", help="`bench compat` result JSON files")
    parser.add_argument(
        "--out", type=output_file, required=True, help="result JSON; the .md table and .png plot go beside it"
    )
    parser.set_defaults(func=cmd_bench_trade_off)

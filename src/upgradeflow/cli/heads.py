"""``upgradeflow bench heads``: compatible heads on two real pretrained encoders."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from upgradeflow.atomic import write_text_atomic
from upgradeflow.cli.args import add_store, add_threads, output_file, positive_int, seed_list
from upgradeflow.cli.encoders import ENCODER_HELP

DEFAULT_METHODS = "independent,bct,dmu,lambda-orthogonal"


def cmd_bench_heads(args: argparse.Namespace) -> int:
    from upgradeflow.data.items import read_items
    from upgradeflow.methods.registry import parse_methods

    items = read_items(args.data, seed=args.split_seed)  # a bad file or method fails before any model loads
    items.require_identities("training a head and evaluating it")
    methods = parse_methods(args.methods)

    from upgradeflow.bench.heads import heads_benchmark
    from upgradeflow.bench.heads_report import heads_markdown, plot_heads
    from upgradeflow.encoders.spec import load_encoder
    from upgradeflow.runtime import configure_torch
    from upgradeflow.store.location import open_store
    from upgradeflow.training.loop import TrainConfig

    configure_torch(args.threads)
    old, new = load_encoder(args.old), load_encoder(args.new)
    old.check_modality(items.modality, args.data)
    new.check_modality(items.modality, args.data)
    store = open_store(args.store, endpoint_url=args.endpoint_url)
    config = TrainConfig(epochs=args.epochs, augment=False)
    asked = {name: getattr(args, name) for name in ("old", "new", "data", "methods", "seeds", "epochs", "split_seed")}
    result = {"arguments": asked} | heads_benchmark(old, new, items, store, methods, args.seeds, config)
    write_text_atomic(args.out, json.dumps(result, indent=2) + "\n")
    table = heads_markdown(result)
    write_text_atomic(args.out.with_suffix(".md"), table)
    plot_heads(result, args.out.with_suffix(".png"))
    print(table)
    print(f"wrote {args.out}, {args.out.with_suffix('.md')} and {args.out.with_suffix('.png')}")
    return 0


def add_heads_bench(bench: argparse._SubParsersAction) -> None:
    heads = bench.add_parser("heads", help="compatible heads on two pretrained encoders, per method and seed")
    heads.add_argument("--old", required=True, help=f"the frozen old encoder: {ENCODER_HELP}")
    heads.add_argument("--new", required=True, help="the new pretrained backbone, named the same way")
    heads.add_argument("--data", required=True, help="Parquet (id, identity, text or image) or an image folder")
    heads.add_argument("--methods", default=DEFAULT_METHODS, help=f"comma-separated (default: {DEFAULT_METHODS})")
    heads.add_argument("--seeds", type=seed_list, default=[0, 1, 2], help="comma-separated (default: 0,1,2)")
    heads.add_argument("--epochs", type=positive_int, default=30)
    heads.add_argument("--split-seed", type=int, default=0, help="seed of the open-set split by identity")
    heads.add_argument("--out", type=output_file, default=Path("benchmarks/results/heads.json"))
    add_store(heads)
    add_threads(heads)
    heads.set_defaults(func=cmd_bench_heads)

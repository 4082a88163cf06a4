"""The ``upgradeflow`` command line.

User mistakes (``UserInputError``) end in one line on stderr and exit status 2; a lost
compare-and-swap (``ConflictError``) in one line and exit status 3; anything else is a
bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from upgradeflow.cli.args import (
    OneLineParser,
    add_data_dir,
    add_threads,
    non_negative_int,
    output_dir,
    output_file,
    positive_int,
    seed_list,
)
from upgradeflow.cli.encoders import add_encoder_parser
from upgradeflow.cli.gallery import add_gallery_parser
from upgradeflow.cli.heads import add_heads_bench
from upgradeflow.cli.index import add_index_parser
from upgradeflow.cli.pairs import add_adapters_parser, add_pairs_bench
from upgradeflow.cli.serve import add_serve_parser
from upgradeflow.cli.status import add_status_parser
from upgradeflow.cli.trade_off import add_trade_off_bench
from upgradeflow.data import default_data_dir
from upgradeflow.errors import EXIT_CONFLICT, EXIT_USER_ERROR, ConflictError, UserInputError


def cmd_data_glyphs(args: argparse.Namespace) -> int:
    from upgradeflow.data.glyphs import GlyphConfig, build_glyphs, existing_build

    config = GlyphConfig(seed=args.seed)
    card = None if args.force else existing_build(args.out, config)
    if card is None:
        card = build_glyphs(args.out, config, progress=not args.no_progress)
        state = "built"
    else:
        state = "up to date"
    counts = card["counts"]
    print(
        f"glyphs {state}: {counts['identities']} identities, {counts['images']} images, "
        f"{len(card['faces'])} faces -> {args.out} (sha256 {card['sha256'][:16]})"
    )
    return 0


def cmd_data_wordnet(args: argparse.Namespace) -> int:
    from upgradeflow.data.wordnet_items import write_wordnet_items

    table = write_wordnet_items(args.out, args.synsets, args.seed)
    print(f"wordnet: {args.synsets} synsets, {table.num_rows} texts -> {args.out}")
    return 0


def cmd_data_sample(args: argparse.Namespace) -> int:
    from upgradeflow.data.subset import sample_identities

    counts = sample_identities(args.data, args.out, args.identities, args.seed)
    print(f"sample: {counts['identities']} identities, {counts['rows']} rows -> {args.out}")
    return 0


def cmd_bench_compat(args: argparse.Namespace) -> int:
    from upgradeflow.bench.compat import run_compat_bench
    from upgradeflow.data.registry import load_dataset
    from upgradeflow.data.splits import validation_view
    from upgradeflow.methods.registry import parse_methods
    from upgradeflow.methods.scenarios import get_scenario
    from upgradeflow.runtime import configure_torch
    from upgradeflow.training.loop import TrainConfig

    methods = parse_methods(args.methods)
    backfill = tuple(name for name in args.backfill.split(",") if name)
    missing = [name for name in backfill if name not in {m.name for m in methods if m.kind != "old"}]
    if missing:
        raise UserInputError(f"--backfill {','.join(missing)}: not among the new-model methods being run")
    scenario = get_scenario(args.scenario, args.quick)
    seeds = args.seeds or ([0] if args.quick else [0, 1, 2])
    stem = f"compat-{args.dataset}-{args.scenario}{'-validation' if args.validation else ''}"
    data_dir = args.data_dir or default_data_dir()
    out = args.out or (
        data_dir / "results" / f"{stem}-quick.json" if args.quick else Path("benchmarks/results") / f"{stem}.json"
    )
    configure_torch(args.threads)
    data = load_dataset(args.dataset, data_dir, progress=not args.no_progress)
    if args.validation:
        data = validation_view(data)
    result = run_compat_bench(
        data,
        args.dataset,
        scenario,
        methods,
        seeds,
        args.quick,
        Path(out),
        TrainConfig(),
        progress=not args.no_progress,
        save_checkpoints=args.save_checkpoints,
        save_embeddings=args.save_embeddings,
        backfill=backfill,
        identities="validation" if args.validation else "test",
    )
    print(Path(out).with_suffix(".md").read_text())
    out = Path(out)
    print(f"wrote {out}, {out.with_suffix('.md')}, {out.with_suffix('.png')} ({result['total_seconds']:.0f} s)")
    return 0


def cmd_eval_embeddings(args: argparse.Namespace) -> int:
    from upgradeflow.embeddings import read_embedding_table
    from upgradeflow.evaluation.metrics import retrieval_metrics

    _, queries, query_labels = read_embedding_table(args.queries, need_identity=True)
    _, gallery, gallery_labels = read_embedding_table(args.gallery, need_identity=True)
    print(json.dumps(retrieval_metrics(queries, query_labels, gallery, gallery_labels).to_dict(), indent=2))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="upgradeflow", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    data = commands.add_parser("data", help="build benchmark datasets").add_subparsers(dest="dataset", required=True)
    glyphs = data.add_parser("glyphs", help="render the CJK glyph benchmark from Debian font packages")
    glyphs.add_argument("--out", type=output_dir, default=default_data_dir() / "glyphs")
    glyphs.add_argument("--seed", type=non_negative_int, default=0)
    glyphs.add_argument("--force", action="store_true", help="rebuild even if an identical build exists")
    glyphs.add_argument("--no-progress", action="store_true")
    glyphs.set_defaults(func=cmd_data_glyphs)
    wordnet = data.add_parser("wordnet", help="a text retrieval set from Debian's WordNet: synsets are identities")
    wordnet.add_argument("--out", type=output_file, default=default_data_dir() / "wordnet" / "items.parquet")
    wordnet.add_argument("--synsets", type=positive_int, default=6000, help="identities to draw (default: 6000)")
    wordnet.add_argument("--seed", type=non_negative_int, default=0)
    wordnet.set_defaults(func=cmd_data_wordnet)
    sample = data.add_parser("sample", help="every row of a seeded sample of a labelled Parquet file's identities")
    sample.add_argument("--data", type=Path, required=True, help="Parquet with an 'identity' column")
    sample.add_argument("--identities", type=positive_int, required=True)
    sample.add_argument("--out", type=output_file, required=True)
    sample.add_argument("--seed", type=non_negative_int, default=0)
    sample.set_defaults(func=cmd_data_sample)

    bench = commands.add_parser("bench", help="run benchmarks").add_subparsers(dest="bench", required=True)
    compat = bench.add_parser("compat", help="cross-model compatibility benchmark")
    compat.add_argument("--dataset", default="glyphs", help="glyphs, fashion-mnist, parquet:PATH or folder:PATH")
    compat.add_argument(
        "--methods", default="old,independent,bct,dmu,sfsc", help="comma-separated; see upgradeflow/methods/registry.py"
    )
    compat.add_argument(
        "--scenario", default="default", help="default, hard or moderate (upgradeflow/methods/scenarios.py)"
    )
    compat.add_argument("--seeds", type=seed_list, help="comma-separated (default: 0 quick, 0,1,2 full)")
    compat.add_argument("--quick", action="store_true", help="small subset, few epochs (minutes)")
    compat.add_argument(
        "--validation",
        action="store_true",
        help="evaluate on held-out training identities instead of the test identities (for choosing settings)",
    )
    compat.add_argument("--out", type=output_file, help="result JSON; the .md table and .png plot go beside it")
    add_data_dir(compat)
    add_threads(compat)
    compat.add_argument("--save-checkpoints", action="store_true")
    compat.add_argument(
        "--save-embeddings",
        action="store_true",
        help="write query/gallery embedding tables per seed and model (for gallery import)",
    )
    compat.add_argument(
        "--backfill",
        default="dmu",
        help="methods whose backfill curves are measured, comma-separated (default: dmu; '' for none)",
    )
    compat.add_argument("--no-progress", action="store_true")
    compat.set_defaults(func=cmd_bench_compat)
    add_pairs_bench(bench)
    add_trade_off_bench(bench)
    add_heads_bench(bench)

    evaluate = commands.add_parser("eval", help="evaluate stored embeddings").add_subparsers(dest="what", required=True)
    embeddings = evaluate.add_parser("embeddings", help="retrieval metrics of query and gallery embedding tables")
    embeddings.add_argument("--queries", type=Path, required=True)
    embeddings.add_argument("--gallery", type=Path, required=True)
    embeddings.set_defaults(func=cmd_eval_embeddings)

    add_adapters_parser(commands)
    add_encoder_parser(commands)
    add_gallery_parser(commands)
    add_index_parser(commands)
    add_status_parser(commands)
    add_serve_parser(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except UserInputError as error:
        print(f"upgradeflow: error: {error}", file=sys.stderr)
        return EXIT_USER_ERROR
    except ConflictError as error:
        print(f"upgradeflow: conflict: {error}", file=sys.stderr)
        return EXIT_CONFLICT
    except KeyboardInterrupt:
        print("upgradeflow: interrupted", file=sys.stderr)
        return 130

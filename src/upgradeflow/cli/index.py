"""``upgradeflow index ...``: FAISS indexes per gallery shard, swapped atomically."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from upgradeflow.cli.args import add_grace, add_store, non_negative_int, positive_int
from upgradeflow.cli.gallery import add_expect, describe_pointer
from upgradeflow.errors import UserInputError


def _catalog(args: argparse.Namespace):
    from upgradeflow.index.sharded import IndexCatalog
    from upgradeflow.store.location import open_store

    store = open_store(args.store, endpoint_url=args.endpoint_url)
    return IndexCatalog(store, args.name)


def cmd_build(args: argparse.Namespace) -> int:
    from upgradeflow.index.spec import IndexSpec
    from upgradeflow.store.gallery import Gallery

    catalog = _catalog(args)
    spec = IndexSpec(
        kind=args.kind,
        nlist=args.nlist,
        nprobe=args.nprobe,
        hnsw_m=args.hnsw_m,
        ef_construction=args.ef_construction,
        ef_search=args.ef_search,
    )
    gallery = Gallery(catalog.store, args.gallery)
    version, manifest = catalog.build(
        gallery, args.gallery_version, args.version, spec, shard=args.shard, progress=not args.no_progress
    )
    state = f"built, {manifest['rows']} rows" if manifest else "shard built; other shards pending"
    print(f"{args.name} {version}: {state}")
    return 0


def cmd_swap(args: argparse.Namespace) -> int:
    expected = ... if args.expect is None else args.expect  # left out: whatever is live now
    pointer = _catalog(args).swap(args.version, expected_current=expected)
    print(describe_pointer(args.name, pointer))
    return 0


def cmd_rollback(args: argparse.Namespace) -> int:
    pointer = _catalog(args).rollback(args.expect)
    print(describe_pointer(args.name, pointer, "rolled back; "))
    return 0


def cmd_gc(args: argparse.Namespace) -> int:
    from upgradeflow.retention import collect_index

    print(collect_index(_catalog(args), args.keep, args.grace_hours).describe(args.name))
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    rows = _catalog(args).versions()
    if not rows:
        print(f"{args.name}: no built versions")
    for r in rows:
        print(
            f"{r['version']:32} {r['state']:9} {r['kind']:5} {r['rows']:>12} rows  "
            f"{r['shards']:>4} shards  {r['gallery']}"
        )
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    from upgradeflow.index.sharded import ShardedIndex
    from upgradeflow.store.importer import read_table
    from upgradeflow.store.shard_format import check_batch, conform, embeddings_of

    table = read_table(args.queries)
    batch = conform(table.combine_chunks().to_batches()[0], str(args.queries)) if table.num_rows else None
    if batch is None:
        print(json.dumps({"results": []}))
        return 0
    check_batch(batch, None, str(args.queries), normalised=False)
    catalog = _catalog(args)
    rows = catalog.manifest(args.version)["rows"]
    if args.k > rows:  # before any shard is loaded: a huge k would allocate k results per query
        raise UserInputError(f"--k {args.k}: the index holds {rows} rows")
    index = ShardedIndex.load(catalog, args.version)
    scores, ids = index.search(embeddings_of(batch), args.k)
    results = [
        {"query": q, "ids": list(row_ids), "scores": [round(float(s), 6) for s in row_scores]}
        for q, row_ids, row_scores in zip(batch.column("id").to_pylist(), ids.tolist(), scores, strict=True)
    ]
    print(json.dumps({"index": args.name, "version": index.manifest["version"], "k": args.k, "results": results}))
    return 0


def add_index_parser(commands: argparse._SubParsersAction) -> None:
    index = commands.add_parser("index", help="FAISS indexes over gallery versions").add_subparsers(
        dest="action", required=True
    )

    def sub(name: str, help: str, func) -> argparse.ArgumentParser:
        parser = index.add_parser(name, help=help)
        parser.add_argument("name", help="index name")
        add_store(parser)
        parser.set_defaults(func=func)
        return parser

    p = sub("build", "build the index of a gallery version, shard by shard", cmd_build)
    p.add_argument("--gallery", required=True)
    p.add_argument("--gallery-version", help="default: the gallery's live version")
    p.add_argument("--version", help="index version name (default: <gallery version>.<kind>)")
    p.add_argument("--kind", default="flat", help="flat (exact, default), ivf or hnsw")
    p.add_argument("--nlist", type=int, default=0, help="IVF cells (default: 4*sqrt(rows per shard), at most rows/39)")
    p.add_argument("--nprobe", type=int, default=16)
    p.add_argument("--hnsw-m", type=int, default=32)
    p.add_argument("--ef-construction", type=int, default=80)
    p.add_argument("--ef-search", type=int, default=64)
    p.add_argument("--shard", type=non_negative_int, help="build one shard (a mapped task); default: all")
    p.add_argument("--no-progress", action="store_true")
    p = sub("swap", "make a built index version live", cmd_swap)
    p.add_argument("version")
    add_expect(
        p, "swap", ", even if the version to swap in is live already; expecting that version itself changes nothing"
    )
    p = sub("rollback", "make the previous live index version live again", cmd_rollback)
    add_expect(p, "roll back")
    sub("list", "list built versions and which is live", cmd_list)
    p = sub("gc", "delete index versions nothing can reach, abandoned builds and leftovers", cmd_gc)
    p.add_argument(
        "--keep", type=int, required=True, help="versions kept behind the live one for rollback (at least 1)"
    )
    add_grace(p)
    p = sub("search", "search the live (or a given) index version; prints JSON", cmd_search)
    p.add_argument("--queries", type=Path, required=True, help="Parquet with id and embedding")
    p.add_argument("--k", type=positive_int, default=10, help="results per query, at most the index's rows")
    p.add_argument("--version")

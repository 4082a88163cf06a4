"""``upgradeflow gallery ...``: versioned embedding galleries in a local directory or S3."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from upgradeflow.cli.args import add_data_dir, add_grace, add_store, add_threads, non_negative_int, positive_int
from upgradeflow.data import default_data_dir
from upgradeflow.errors import UserInputError


def add_expect(parser: argparse.ArgumentParser, action: str, note: str = "") -> None:
    """``--expect``: the version the caller believes is live, so that a stale picture (or
    a concurrent caller that moved the pointer first) is refused instead of acted on."""
    parser.add_argument(
        "--expect", metavar="VERSION", help=f"{action} only if VERSION is live now, else exit 3 (conflict){note}"
    )


def describe_pointer(name: str, pointer, action: str = "") -> str:
    return f"{name}: {action}live {pointer.current} (previous {pointer.previous or '-'})"


def open_gallery(args: argparse.Namespace):
    from upgradeflow.store.gallery import Gallery
    from upgradeflow.store.location import open_store

    return Gallery(open_store(args.store, endpoint_url=args.endpoint_url), args.name)


def cmd_import(args: argparse.Namespace) -> int:
    from upgradeflow.store.importer import import_tables

    gallery = open_gallery(args)
    version = import_tables(
        gallery,
        args.source,
        version=args.version,
        shard_rows=args.shard_rows,
        model=args.model,
        commit=not args.no_commit,
        progress=not args.no_progress,
    )
    manifest = gallery.manifest(version)
    state = "sealed (not live)" if args.no_commit else "live"
    print(f"{gallery.name} {version}: {manifest['rows']} rows in {len(manifest['shards'])} shards, {state}")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    gallery = open_gallery(args)
    versions = gallery.versions()
    if not versions:
        print(f"{args.name}: no versions")
    for v in versions:
        producer = v.producer
        if v.producer == "backfill" and v.state == "staged":
            from upgradeflow.backfill.progress import backfill_progress

            producer = backfill_progress(gallery, v.version).describe()
        print(
            f"{v.version:32} {v.state:9} {v.rows:>12} rows  {v.shards:>5} shards  "
            f"parent={v.parent or '-'}  {producer}  {v.created_at}"
        )
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    gallery = open_gallery(args)
    manifest = gallery.manifest(args.version)
    pointer = gallery.pointer()
    manifest["live"] = manifest["version"] == pointer.current
    print(json.dumps(manifest, indent=2))
    return 0


def cmd_commit(args: argparse.Namespace) -> int:
    pointer = open_gallery(args).commit(args.version, verify=not args.no_verify, progress=not args.no_progress)
    print(describe_pointer(args.name, pointer))
    return 0


def cmd_rollback(args: argparse.Namespace) -> int:
    pointer = open_gallery(args).rollback(args.expect)
    print(describe_pointer(args.name, pointer, "rolled back; "))
    return 0


def cmd_gc(args: argparse.Namespace) -> int:
    from upgradeflow.retention import collect_gallery

    print(collect_gallery(open_gallery(args), args.keep, args.grace_hours).describe(args.name))
    return 0


def cmd_discard(args: argparse.Namespace) -> int:
    from upgradeflow.retention import discard_staged

    discard_staged(open_gallery(args), args.version)
    print(f"{args.name}: discarded staged version {args.version}")
    return 0


def cmd_evolve(args: argparse.Namespace) -> int:
    from upgradeflow.runtime import configure_torch
    from upgradeflow.upgrade.evolve import evolve_shard

    configure_torch(args.threads)
    gallery = open_gallery(args)
    source = gallery.resolve(args.source_version)
    count = len(gallery.manifest(source)["shards"])
    shards = [args.shard] if args.shard is not None else range(count)
    summary = {"gallery": gallery.name, "from": source, "shards": []}
    for index in shards:
        target, record, worked = evolve_shard(
            gallery,
            args.adapter,
            source,
            index,
            args.to,
            batch_rows=args.batch_rows,
            progress=not args.no_progress,
        )
        summary["to"] = target
        summary["shards"].append({"index": index, "rows": record.rows, "skipped": not worked})
    print(json.dumps(summary))
    return 0


def cmd_backfill(args: argparse.Namespace) -> int:
    from upgradeflow.backfill.extraction import backfill_shard, model_digest
    from upgradeflow.backfill.planning import BackfillRequest, plan_backfill
    from upgradeflow.backfill.progress import backfill_progress
    from upgradeflow.data.sources import SourceResolver
    from upgradeflow.registry.embedding_model import load_embedding_model
    from upgradeflow.registry.tracking import read_tracking
    from upgradeflow.runtime import configure_torch

    configure_torch(args.threads)
    gallery = open_gallery(args)
    source = gallery.resolve(args.source_version)
    if args.model.startswith("models:/"):
        read_tracking(args.tracking_uri)
    model = load_embedding_model(args.model)
    digest = model_digest(model)
    target = args.to or f"{source}.backfill-{digest[:8]}"
    request = BackfillRequest(args.model, digest, model.config.embedding_dim, args.order or "worst-first", args.seed)
    progress = not args.no_progress
    plan = plan_backfill(
        gallery, source, target, request, shard_rows=args.shard_rows, resume_policy=args.order, progress=progress
    )
    if args.shard is not None and not 0 <= args.shard < plan.shards:
        raise UserInputError(f"{gallery.where(target)}: no backfill shard {args.shard} (it has {plan.shards})")
    resolver = SourceResolver(args.data_dir or default_data_dir(), progress=progress)
    shards = [args.shard] if args.shard is not None else range(plan.shards)
    written = [
        index
        for index in shards
        if backfill_shard(gallery, target, index, model, resolver, batch_rows=args.batch_rows, progress=progress)[1]
    ]
    state = backfill_progress(gallery, target).to_dict()
    print(json.dumps({"gallery": gallery.name, "from": source, "to": target, "written": written, **state}))
    return 0


def cmd_publish_backfill(args: argparse.Namespace) -> int:
    from upgradeflow.backfill.progress import backfill_progress
    from upgradeflow.backfill.publication import publish_backfill

    gallery = open_gallery(args)
    marker = publish_backfill(gallery, args.version, args.shard)
    done = gallery.finished_shards(args.version, gallery.shard_record_keys(args.version, marker.shards))
    state = backfill_progress(gallery, args.version, done).to_dict()
    print(json.dumps({"gallery": gallery.name, "from": marker.source, "to": marker.target, **state}))
    return 0


def add_gallery_parser(commands: argparse._SubParsersAction) -> None:
    gallery = commands.add_parser("gallery", help="versioned embedding galleries").add_subparsers(
        dest="action", required=True
    )

    def sub(name: str, help: str, func) -> argparse.ArgumentParser:
        parser = gallery.add_parser(name, help=help)
        parser.add_argument("name", help="gallery name")
        add_store(parser)
        parser.set_defaults(func=func)
        return parser

    p = sub("import", "import Parquet embedding tables as a new version", cmd_import)
    p.add_argument("--from", dest="source", type=Path, required=True, help="a Parquet file or a directory of them")
    p.add_argument("--version", help="version name (default: v<UTC timestamp>)")
    p.add_argument("--shard-rows", type=positive_int, default=262_144)
    p.add_argument("--model", help="producing model, for input without a 'model' column")
    p.add_argument("--no-commit", action="store_true", help="seal the version but leave the live one")
    p.add_argument("--no-progress", action="store_true")

    sub("list", "list versions and which is live", cmd_list)
    p = sub("show", "print a version's manifest", cmd_show)
    p.add_argument("--version", help="default: the live version")
    p = sub("commit", "verify a staged version and make it live", cmd_commit)
    p.add_argument("version")
    p.add_argument("--no-verify", action="store_true", help="skip re-reading shards for checksums and duplicate ids")
    p.add_argument("--no-progress", action="store_true")
    p = sub("rollback", "make the previous live version live again", cmd_rollback)
    add_expect(p, "roll back")
    p = sub("gc", "delete versions nothing can reach, abandoned staged versions and leftovers", cmd_gc)
    p.add_argument(
        "--keep", type=int, required=True, help="versions kept behind the live one for rollback (at least 1)"
    )
    add_grace(p)
    p = sub("discard", "delete a staged (never committed) version now", cmd_discard)
    p.add_argument("version")

    p = sub("evolve", "transform shards of a version with an adapter into a new staged version", cmd_evolve)
    p.add_argument("--adapter", type=Path, required=True, help="adapter checkpoint (.pt beside its .json)")
    p.add_argument("--from", dest="source_version", help="source version (default: the live one)")
    p.add_argument("--shard", type=non_negative_int, help="one shard (a mapped task); default: all")
    p.add_argument("--to", help="target version (default: <from>.evolved-<adapter sha256 prefix>)")
    p.add_argument("--batch-rows", type=positive_int, default=65_536)
    add_threads(p)
    p.add_argument("--no-progress", action="store_true")

    p = sub(
        "backfill",
        "re-extract a version from its sources with a new model, in a stored order, into a staged version "
        "(searched only once published)",
        cmd_backfill,
    )
    p.add_argument("--model", required=True, help="models:/NAME@ALIAS, models:/NAME/VERSION or a checkpoint .pt")
    p.add_argument("--tracking-uri", help="registry of models:/ URIs (default: $MLFLOW_TRACKING_URI or SQLite)")
    p.add_argument("--from", dest="source_version", help="version to backfill (default: the live one)")
    p.add_argument("--shard", type=non_negative_int, help="one backfill shard (a mapped task); default: all")
    p.add_argument("--to", help="target version (default: <from>.backfill-<model sha256 prefix>)")
    p.add_argument(
        "--order",
        help="worst-first, residual-first or random (default: worst-first when planning; "
        "a resumed backfill keeps its stored order)",
    )
    p.add_argument("--seed", type=non_negative_int, default=0, help="seed of the random order")
    p.add_argument(
        "--shard-rows", type=positive_int, help="rows per backfill shard (default: as many shards as the source)"
    )
    add_data_dir(p, "the sources' datasets")
    p.add_argument("--batch-rows", type=positive_int, default=2048, help="images per model call")
    add_threads(p)
    p.add_argument("--no-progress", action="store_true")

    p = sub(
        "publish-backfill",
        "let searches merge a backfill's finished shards (a backfill is never searched before this)",
        cmd_publish_backfill,
    )
    p.add_argument("version", help="the backfill's staged version")
    p.add_argument(
        "--shard", type=non_negative_int, action="append", help="a shard to publish (repeatable); default: all finished"
    )

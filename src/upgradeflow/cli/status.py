"""``upgradeflow status``: what a deployment serves now, read from the store and the
registry: the registered versions with their aliases and headline metrics, the live
gallery and index versions, and where to look in the MLflow UI."""

from __future__ import annotations

import argparse

from upgradeflow.cli.args import add_store
from upgradeflow.cli.gallery import describe_pointer

PAIRS = ("old/old", "new/old", "new/evolved", "new/new")


def versions_table(name: str) -> str:
    from mlflow import MlflowClient

    client = MlflowClient()
    model = client.get_registered_model(name)
    aliases: dict[str, list[str]] = {}
    for alias, version in model.aliases.items():
        aliases.setdefault(str(version), []).append(alias)
    lines = [
        f"Registered model {name} (mAP@100 on held-out identities):",
        "",
        "| version | aliases | method | " + " | ".join(PAIRS) + " | gate |",
        "|---|---|---|" + "---|" * len(PAIRS) + "---|",
    ]
    for version in sorted(client.search_model_versions(f"name='{name}'"), key=lambda v: int(v.version)):
        metrics = client.get_run(version.run_id).data.metrics if version.run_id else {}
        cells = [f"{metrics[f'{p}/map_at_100']:.2f}" if f"{p}/map_at_100" in metrics else "" for p in PAIRS]
        lines.append(
            f"| {version.version} | {', '.join(sorted(aliases.get(str(version.version), [])))} | "
            f"{version.tags.get('upgradeflow.method', '')} | " + " | ".join(cells) + f" | "
            f"{version.tags.get('upgradeflow.gate', '')} |"
        )
    return "\n".join(lines)


def cmd_status(args: argparse.Namespace) -> int:
    from mlflow.exceptions import MlflowException

    from upgradeflow.errors import UserInputError
    from upgradeflow.index.sharded import IndexCatalog
    from upgradeflow.registry.tracking import read_tracking
    from upgradeflow.store.gallery import Gallery
    from upgradeflow.store.location import open_store

    uri = read_tracking(args.tracking_uri)
    try:
        print(versions_table(args.model_name))
    except MlflowException:
        raise UserInputError(f"{uri}: no registered model {args.model_name!r} (run the bootstrap DAG first)") from None
    store = open_store(args.store, endpoint_url=args.endpoint_url)
    gallery, catalog = Gallery(store, args.gallery), IndexCatalog(store, args.index)
    print()
    print("gallery " + describe_pointer(args.gallery, gallery.pointer()))
    print("index   " + describe_pointer(args.index, catalog.pointer()))
    print()
    if uri.startswith("sqlite:///"):
        print(f"MLflow UI: mlflow ui --backend-store-uri {uri} --port 5000")
        print(f"  then open http://127.0.0.1:5000/#/models/{args.model_name} (runs under experiment 'upgradeflow')")
    else:
        print(f"MLflow UI: {uri}/#/models/{args.model_name}")
    return 0


def add_status_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("status", help="registered versions, live gallery and index, MLflow UI")
    parser.add_argument("--model-name", default="upgradeflow-glyphs")
    parser.add_argument("--gallery", default="glyphs")
    parser.add_argument("--index", default="glyphs")
    parser.add_argument("--tracking-uri", help="default: $MLFLOW_TRACKING_URI or data/mlflow/mlflow.db")
    add_store(parser)
    parser.set_defaults(func=cmd_status)

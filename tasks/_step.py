"""What every step shares: its common options, how it reports, and how it fails.

``execute`` runs a step in the calling process and returns its result (what the
in-process Airflow task calls); ``main`` is the command line around it: the result as
one JSON line on stdout (and in ``$UPGRADEFLOW_RESULT_FILE`` when set: a Kubernetes
pod's XCom file), one line on stderr and a distinct exit status on failure.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from upgradeflow.cli.args import add_data_dir, add_store
from upgradeflow.errors import EXIT_CONFLICT, EXIT_GATE_FAILED, EXIT_USER_ERROR, ConflictError, UserInputError
from upgradeflow.upgrade.gate import GateFailed

DEFAULT_MODEL_NAME = "upgradeflow-glyphs"

Work = Callable[[argparse.Namespace], Any]


def step_parser(module: str, description: str, *options: Callable[[argparse.ArgumentParser], None]):
    """The step's parser: the options every step shares, then each of ``options`` (the
    ``add_*`` functions here and in ``upgradeflow.cli.args``) in order."""
    parser = argparse.ArgumentParser(prog=f"python -m {module}", description=description)
    add_store(parser)
    parser.add_argument("--tracking-uri", help="MLflow tracking URI (default: $MLFLOW_TRACKING_URI or SQLite)")
    parser.add_argument("--no-progress", action="store_true")
    for add in options:
        add(parser)
    return parser


def add_data_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dataset", default="glyphs", help="glyphs, fashion-mnist, parquet:PATH or folder:PATH")
    add_data_dir(parser)
    parser.add_argument("--scenario", default="default")
    parser.add_argument("--mode", choices=("quick", "full"), default="quick", help="training size (default: quick)")
    parser.add_argument("--seed", type=int, default=0)


def widths(text: str) -> tuple[float, ...]:
    """A comma-separated width list; its order and range are checked with the rest of the spec."""
    try:
        return tuple(float(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"widths must be comma-separated numbers, got '{text}'") from None


def add_run_key(parser: argparse.ArgumentParser) -> None:
    """The upgrade run a step belongs to: the ``run_key`` that ``train_new_model`` prints,
    under which every later step finds the run's files."""
    parser.add_argument("--run-key", required=True, help="the run_key printed by train_new_model")


def add_gallery(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--gallery", required=True, help="the gallery's name in the store")


def add_shards(parser: argparse.ArgumentParser) -> None:
    """A mapped instance's lane of shards."""
    parser.add_argument("--shards", required=True, help="N, N-M or N,M,...")


def add_lanes(parser: argparse.ArgumentParser) -> None:
    """How a planning step splits the shards into lanes."""
    parser.add_argument("--shard-concurrency", type=int, default=4, help="lanes running at once")
    parser.add_argument("--max-map-length", type=int, default=1024, help="most mapped task instances")


def add_index_arguments(parser: argparse.ArgumentParser) -> None:
    """The index a step builds or swaps: its catalog name and kind."""
    parser.add_argument("--index", required=True)
    parser.add_argument("--index-kind", default="flat", help="flat, ivf or hnsw")


def add_lease_owner(parser: argparse.ArgumentParser) -> None:
    """The run holding the gallery's lease (``tasks.lease take``): a step that moves a
    pointer renews it first and refuses, exit 3, when another run holds it."""
    parser.add_argument("--lease-owner", help="the run holding the gallery's lease (default: no lease)")


# The options of a step that moves the gallery's and the index's pointers.
POINTER_MOVE = (add_run_key, add_gallery, add_index_arguments, add_lease_owner)


def index_spec(kind: str):
    from upgradeflow.index.spec import IndexSpec

    return IndexSpec(kind=kind)


def add_model_name(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model-name", default=DEFAULT_MODEL_NAME, help="registered model name")


def execute(parser: argparse.ArgumentParser, work: Work, argv: list[str]) -> Any:
    """Parse and run; first remove the scratch directories of steps killed on this host,
    which could not remove their own, and give torch the step's ``--threads``."""
    from upgradeflow.scratch import sweep_dead_scratch

    args = parser.parse_args(argv)
    sweep_dead_scratch()
    if "threads" in args:
        from upgradeflow.runtime import configure_torch

        configure_torch(args.threads)
    return work(args)


def main(parser: argparse.ArgumentParser, work: Work, argv: list[str] | None = None) -> int:
    try:
        result = execute(parser, work, sys.argv[1:] if argv is None else argv)
    except UserInputError as error:
        return _fail(parser, "error", error, EXIT_USER_ERROR)
    except ConflictError as error:
        return _fail(parser, "conflict", error, EXIT_CONFLICT)
    except GateFailed as error:
        return _fail(parser, "gate failed", error, EXIT_GATE_FAILED)
    line = json.dumps(result, sort_keys=True)
    print(line)
    result_file = os.environ.get("UPGRADEFLOW_RESULT_FILE")
    if result_file:
        Path(result_file).parent.mkdir(parents=True, exist_ok=True)
        Path(result_file).write_text(line + "\n")
    return 0


def _fail(parser: argparse.ArgumentParser, kind: str, error: Exception, status: int) -> int:
    print(f"{parser.prog}: {kind}: {error}", file=sys.stderr)
    return status

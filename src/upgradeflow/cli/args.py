"""The parser and its argument types: counts, indexes and output paths are refused by
the parser, in one line, before any data is read, anything rendered or fitted, or any
version staged."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import NoReturn

from upgradeflow.data import DATA_ENV, default_data_dir
from upgradeflow.store.location import default_store_uri


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose mistakes read like every other user error: one line,
    ``upgradeflow: error: ...``, exit 2, without a usage block to scroll past."""

    def error(self, message: str) -> NoReturn:
        program, _, command = self.prog.partition(" ")
        self.exit(2, f"{program}: error: {command + ': ' if command else ''}{message}\n")


def add_store(parser: argparse.ArgumentParser, *aliases: str) -> None:
    """``--store`` (and ``--endpoint-url``): where galleries and indexes live, the same
    option in every command and pipeline step."""
    parser.add_argument(
        *aliases,
        "--store",
        dest="store",
        default=None,
        help=f"s3://bucket/prefix, file:///path or a path (default: $UPGRADEFLOW_STORE or {default_store_uri()})",
    )
    parser.add_argument("--endpoint-url", help="S3 endpoint (default: $AWS_ENDPOINT_URL)")


def add_data_dir(parser: argparse.ArgumentParser, what: str = "datasets") -> None:
    """``--data-dir``: where datasets (and the items a backfill re-reads) are cached."""
    parser.add_argument(
        "--data-dir", type=Path, default=None, help=f"{what} (default: ${DATA_ENV} or {default_data_dir()})"
    )


def positive_int(text: str) -> int:
    value = _integer(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {value}")
    return value


def non_negative_int(text: str) -> int:
    value = _integer(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be a non-negative integer, got {value}")
    return value


def non_negative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got '{text}'") from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a finite number >= 0, got {text}")
    return value


def add_grace(parser: argparse.ArgumentParser) -> None:
    """``--grace-hours`` for gc: how long since its last write a staged or never-live
    version counts as a run still going."""
    parser.add_argument(
        "--grace-hours",
        type=non_negative_float,
        default=24.0,
        help="leave alone what was written within this many hours: a run may still be going (default: 24)",
    )


def output_file(text: str) -> Path:
    """A file a command will write: not a directory, and in a directory that exists or
    can be made (a result found unwritable after a benchmark is a benchmark lost)."""
    path = Path(text)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{path}: is a directory; give a file path")
    _check_creatable(path.parent)
    return path


def output_dir(text: str) -> Path:
    """A directory a command will write into: a directory already, or one it can make."""
    path = Path(text)
    if path.exists() and not path.is_dir():
        raise argparse.ArgumentTypeError(f"{path}: exists and is not a directory")
    _check_creatable(path)
    return path


def _check_creatable(directory: Path) -> None:
    """The nearest existing folder on the way to ``directory`` is a writable directory."""
    existing = next((p for p in (directory, *directory.parents) if p.exists()), None)
    if existing is None:
        return
    if not existing.is_dir():
        raise argparse.ArgumentTypeError(f"{existing}: not a directory")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise argparse.ArgumentTypeError(f"{existing}: not writable")


def add_threads(parser: argparse.ArgumentParser) -> None:
    """``--threads`` for every command that runs torch; unset, ``configure_torch`` takes
    ``UPGRADEFLOW_THREADS`` or every core."""
    parser.add_argument(
        "--threads", type=positive_int, help="torch threads (default: UPGRADEFLOW_THREADS or all cores)"
    )


def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer, got '{text}'") from None


def seed_list(text: str) -> list[int]:
    try:
        seeds = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"seeds must be integers separated by commas, got '{text}'") from None
    if not seeds:
        raise argparse.ArgumentTypeError("at least one seed")
    if min(seeds) < 0:
        raise argparse.ArgumentTypeError(f"seeds must be non-negative, got {min(seeds)}")
    return seeds

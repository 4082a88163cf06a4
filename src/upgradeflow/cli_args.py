"""Argument types for counts and indexes, so a bad number is refused by the parser
before any data is read or any version is staged."""

from __future__ import annotations

import argparse


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

"""Process-wide torch settings: how many threads a command uses."""

from __future__ import annotations

import os

import torch

from upgradeflow.errors import UserInputError


def default_threads() -> int:
    """Threads for torch: ``UPGRADEFLOW_THREADS`` or every core.

    When another process shares the cores, one thread can be several times faster than
    two, so the count is a setting rather than a constant.
    """
    value = os.environ.get("UPGRADEFLOW_THREADS")
    if not value:
        return max(1, os.cpu_count() or 1)
    try:
        return check_threads(int(value), "UPGRADEFLOW_THREADS")
    except ValueError:
        raise UserInputError(f"UPGRADEFLOW_THREADS must be a positive integer, got {value!r}") from None


def check_threads(threads: int, name: str = "--threads") -> int:
    if threads < 1:
        raise UserInputError(f"{name} must be a positive integer, got {threads}")
    return threads


def configure_torch(threads: int | None = None) -> None:
    torch.set_num_threads(default_threads() if threads is None else check_threads(threads))

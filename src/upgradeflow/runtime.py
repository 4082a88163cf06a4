"""Process-wide torch settings: thread count and seeding."""

from __future__ import annotations

import os
import random

import numpy as np
import torch


def default_threads() -> int:
    """Threads for torch: ``UPGRADEFLOW_THREADS`` or every core.

    When another process shares the cores, one thread can be several times faster than
    two, so the count is a setting rather than a constant.
    """
    value = os.environ.get("UPGRADEFLOW_THREADS")
    return int(value) if value else max(1, os.cpu_count() or 1)


def configure_torch(threads: int | None = None) -> None:
    torch.set_num_threads(threads or default_threads())


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)

"""Fault injection for resilience tests: ``UPGRADEFLOW_FAIL_ONCE=STEP:MARKER`` makes the
lane of ``STEP`` fail after its first shard, the first time only (the marker file remembers),
so a test can show that a retry finishes the work without duplicates or partial output.
Several steps can each fail once: ``STEP:MARKER,STEP:MARKER``."""

from __future__ import annotations

import os
from pathlib import Path


class InjectedFault(RuntimeError):
    """A failure asked for by the test set-up, never by a user."""


def fail_once(step: str) -> None:
    for spec in os.environ.get("UPGRADEFLOW_FAIL_ONCE", "").split(","):
        name, _, marker = spec.partition(":")
        if name != step or not marker:
            continue
        try:
            Path(marker).touch(exist_ok=False)
        except FileExistsError:
            return
        raise InjectedFault(f"{step}: injected fault (UPGRADEFLOW_FAIL_ONCE)")

"""The chart rendered once per values file, shared by the deployment tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.deploy._chart import CHART, Manifests, helm_check


@pytest.fixture(scope="session")
def rendered() -> Callable[[Path | None], Manifests]:
    """``rendered(values_file)``: the chart's objects for that values file (None: defaults)."""
    cache: dict[Path | None, Manifests] = {}

    def render(values_file: Path | None = None) -> Manifests:
        if values_file not in cache:
            cache[values_file] = helm_check.render(CHART, values_file)
        return cache[values_file]

    return render

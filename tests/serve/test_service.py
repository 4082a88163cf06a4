"""Wiring the service: settings are checked before anything starts, and the live
view's events reach the metrics."""

from __future__ import annotations

import math

import pytest
from fastapi.testclient import TestClient

from upgradeflow.errors import UserInputError
from upgradeflow.serve.requests import Limits
from upgradeflow.serve.service import ServeSettings, build_service


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"poll_seconds": math.nan}, "--poll-seconds must be positive and finite, got nan"),
        ({"retry_seconds": math.inf}, "--retry-seconds must be positive and finite"),
        ({"limits": Limits(body_seconds=0)}, "--body-timeout must be positive"),
        ({"limits": Limits(max_batch=0)}, "--max-batch"),
        ({"search_threads": 0}, "--search-threads must be >= 1"),
        ({"token": "  \n"}, "the bearer token is empty"),
    ],
    ids=["nan-poll", "infinite-retry", "zero-body-timeout", "zero-batch", "no-threads", "blank-token"],
)
def test_bad_settings_are_refused(settings, message):
    with pytest.raises(UserInputError, match=message):
        ServeSettings(gallery="g", index="g", **settings)


def loads(client: TestClient, result: str) -> float:
    for line in client.get("/metrics").text.splitlines():
        if line.startswith(f'upgradeflow_serve_loads_total{{result="{result}"}}'):
            return float(line.split()[-1])
    return 0.0


def test_loads_and_failed_loads_are_counted(deployment):
    app, live = build_service(deployment.store, ServeSettings(gallery="g", index="g"))
    client = TestClient(app)
    live.refresh()
    assert (loads(client, "ok"), loads(client, "failed")) == (1.0, 0.0)
    deployment.commit("v2", seed=2)
    version = deployment.build_and_swap("v2")
    (deployment.store.root / f"indexes/g/versions/{version}/shards/shard-00000.faiss").unlink()
    live.refresh()
    assert (loads(client, "ok"), loads(client, "failed")) == (1.0, 1.0)
    assert 'index_version="v1.flat"' in client.get("/metrics").text  # still serving what loaded

"""The service's Prometheus metrics: one registry per app, and exactly one index
version shown as served."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from upgradeflow.serve.metrics import ServiceMetrics


def samples(metrics: ServiceMetrics, name: str) -> dict[tuple, float]:
    found = {}
    for family in text_string_to_metric_families(metrics.exposition().decode()):
        for sample in family.samples:
            if sample.name == name:
                found[tuple(sorted(sample.labels.items()))] = sample.value
    return found


def test_only_the_version_served_now_is_shown():
    metrics = ServiceMetrics.create()
    metrics.served("g", "v1.flat", "v1", 0.0)
    metrics.served("g", "v2.flat", "v2", 0.25)
    info = samples(metrics, "upgradeflow_serve_index_info")
    assert info == {(("gallery_version", "v2"), ("index", "g"), ("index_version", "v2.flat")): 1.0}
    assert samples(metrics, "upgradeflow_serve_backfill_fraction") == {(): 0.25}
    assert samples(metrics, "upgradeflow_serve_loads_total") == {(("result", "ok"),): 2.0}


def test_two_apps_count_apart():
    first, second = ServiceMetrics.create(), ServiceMetrics.create()
    first.requests.labels("/search", "200").inc()
    assert samples(first, "upgradeflow_serve_requests_total") == {(("endpoint", "/search"), ("status", "200")): 1.0}
    assert samples(second, "upgradeflow_serve_requests_total") == {}

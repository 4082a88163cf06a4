"""Prometheus metrics of the service, in a registry of its own (one per app)."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

# Search latency sits in single milliseconds on a warm flat index; the buckets resolve that.
LATENCY_BUCKETS = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0)


@dataclass
class ServiceMetrics:
    registry: CollectorRegistry
    requests: Counter
    latency: Histogram
    index_info: Gauge
    backfill_fraction: Gauge
    loads: Counter

    @classmethod
    def create(cls) -> ServiceMetrics:
        registry = CollectorRegistry()
        return cls(
            registry=registry,
            requests=Counter(
                "upgradeflow_serve_requests", "Requests answered", ["endpoint", "status"], registry=registry
            ),
            latency=Histogram(
                "upgradeflow_serve_request_seconds",
                "Time to answer a request",
                ["endpoint"],
                buckets=LATENCY_BUCKETS,
                registry=registry,
            ),
            index_info=Gauge(
                "upgradeflow_serve_index_info",
                "1 for the index version being served",
                ["index", "index_version", "gallery_version"],
                registry=registry,
            ),
            backfill_fraction=Gauge(
                "upgradeflow_serve_backfill_fraction",
                "Share of the served gallery that the backfill in progress has re-extracted (0: none)",
                registry=registry,
            ),
            loads=Counter(
                "upgradeflow_serve_loads", "Attempts to load a new live state", ["result"], registry=registry
            ),
        )

    def served(self, index: str, index_version: str, gallery_version: str, backfill_fraction: float) -> None:
        self.index_info.clear()
        self.index_info.labels(index, index_version, gallery_version).set(1)
        self.backfill_fraction.set(backfill_fraction)
        self.loads.labels("ok").inc()

    def exposition(self) -> bytes:
        return generate_latest(self.registry)

"""Wiring the service: settings, the live view, metrics, logs and the app."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field

from fastapi import FastAPI

from upgradeflow.errors import UserInputError
from upgradeflow.serve.app import create_app
from upgradeflow.serve.live import LiveView
from upgradeflow.serve.metrics import ServiceMetrics
from upgradeflow.serve.requests import Limits
from upgradeflow.store.object_store import ObjectStore

log = logging.getLogger("upgradeflow.serve")


@dataclass(frozen=True)
class ServeSettings:
    gallery: str
    index: str
    model: str | None = None
    poll_seconds: float = 2.0
    retry_seconds: float = 30.0
    limits: Limits = field(default_factory=Limits)
    token: str | None = None
    search_threads: int = 1
    header_seconds: float = 10.0  # for a request's headers to arrive (serve.connections)

    def __post_init__(self) -> None:
        seconds = {
            "--poll-seconds": self.poll_seconds,
            "--retry-seconds": self.retry_seconds,
            "--header-timeout": self.header_seconds,
            "--body-timeout": self.limits.body_seconds,
        }
        for option, value in seconds.items():
            if not 0 < value < math.inf:  # NaN fails too
                raise UserInputError(f"{option} must be positive and finite, got {value:g}")
        limits = self.limits
        if min(limits.max_k, limits.max_batch, limits.max_body_bytes, self.search_threads) < 1:
            raise UserInputError("--max-k, --max-batch, --max-body-bytes and --search-threads must be >= 1")
        if self.token is not None and not self.token.strip():
            raise UserInputError("the bearer token is empty")


def build_service(store: ObjectStore, settings: ServeSettings) -> tuple[FastAPI, LiveView]:
    """The app and its (not yet started) live view; ``LiveView.start`` begins polling."""
    metrics = ServiceMetrics.create()

    def listener(event: str, fields: dict) -> None:
        if event == "switched":
            backfill = fields.get("backfill") or {}
            metrics.served(
                settings.index, fields["index_version"], fields["gallery_version"], backfill.get("fraction", 0.0)
            )
        elif event == "load_failed":
            metrics.loads.labels("failed").inc()
        level = logging.INFO if event == "switched" else logging.WARNING
        log.log(level, event, extra={"fields": fields})

    live = LiveView(
        store,
        settings.gallery,
        settings.index,
        model_uri=settings.model,
        poll_seconds=settings.poll_seconds,
        retry_seconds=settings.retry_seconds,
        listener=listener,
    )
    return create_app(live, settings.limits, metrics, settings.token, settings.search_threads), live

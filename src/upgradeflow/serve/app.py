"""The HTTP API: ``POST /search``, ``/status``, ``/metrics``, ``/healthz``, ``/readyz``.

Every answer comes from one snapshot of the live view (``serve.live``). Refusals are a
4xx with ``{"error": "<one line>"}``; the service never writes to storage. With a token
configured, every endpoint but the two health probes needs ``Authorization: Bearer``,
and those two reveal nothing of the configuration. A failure inside the service is a
500 that is counted in ``/metrics`` and logged as one line like every other answer.
"""

from __future__ import annotations

import hmac
import logging
import time

import faiss
import numpy as np
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from upgradeflow.errors import UserInputError
from upgradeflow.serve.body import check_media_type, load_json, read_body
from upgradeflow.serve.live import LiveView
from upgradeflow.serve.logs import describe_error
from upgradeflow.serve.metrics import ServiceMetrics
from upgradeflow.serve.query_model import decode_images
from upgradeflow.serve.requests import Limits, RequestError, SearchRequest, parse_search, query_matrix
from upgradeflow.serve.snapshot import Snapshot

OPEN_PATHS = frozenset({"/healthz", "/readyz"})
ENDPOINTS = frozenset({"/search", "/status", "/metrics", "/healthz", "/readyz"})

log = logging.getLogger("upgradeflow.serve")


def _error(status: int, message: str) -> JSONResponse:
    # A refusal sent before the body was read whole ends the connection: what is left of
    # the body would otherwise be read as the next request.
    headers = {"connection": "close"} if status in (408, 413) else None
    return JSONResponse({"error": message}, status_code=status, headers=headers)


async def _authorised(request: Request, call_next, token: str | None) -> Response:
    """The endpoint's answer, or a 401 when a token is configured and not given."""
    if token is None or request.url.path in OPEN_PATHS:
        return await call_next(request)
    given = request.headers.get("authorization", "")
    if not given.startswith("Bearer "):
        return _error(401, "missing bearer token (Authorization: Bearer <token>)")
    if not hmac.compare_digest(given[len("Bearer ") :].encode(), token.encode()):
        return _error(401, "wrong bearer token")
    return await call_next(request)


def _queries(request: SearchRequest, snapshot: Snapshot) -> np.ndarray:
    if request.vectors is not None:
        return query_matrix(request.vectors, snapshot.index.dimension)
    if snapshot.model is None:
        raise RequestError(422, "this service embeds no raw items (start it with --model); send 'vectors'")
    try:
        images = decode_images(request.images, snapshot.model.image_size)
    except UserInputError as error:
        raise RequestError(422, str(error)) from None
    return snapshot.model.embed(images)


def _search(request: SearchRequest, snapshot: Snapshot, threads: int) -> dict:
    # OpenMP's thread count is per calling thread: a worker thread left at the default
    # would spin every core for a one-query search and starve the other requests.
    faiss.omp_set_num_threads(threads)
    scores, ids = snapshot.search(_queries(request, snapshot), request.k)
    results = [
        [{"id": i, "score": round(float(s), 6)} for i, s in zip(row_ids, row_scores, strict=True) if s > -np.inf]
        for row_ids, row_scores in zip(ids, scores, strict=True)
    ]
    return {"results": results, **snapshot.describe()}


def create_app(
    live: LiveView, limits: Limits, metrics: ServiceMetrics, token: str | None = None, search_threads: int = 1
) -> FastAPI:
    app = FastAPI(title="upgradeflow query service", docs_url=None, redoc_url=None, openapi_url=None)

    @app.middleware("http")
    async def guard_and_measure(request: Request, call_next):
        started = time.perf_counter()
        path = request.url.path
        failure = None
        try:
            response = await _authorised(request, call_next, token)
        except Exception as error:  # a bug or a broken dependency: still one counted line
            failure = describe_error(error)
            response = _error(500, "internal error")
        elapsed = time.perf_counter() - started
        endpoint = path if path in ENDPOINTS else "other"
        metrics.requests.labels(endpoint, str(response.status_code)).inc()
        metrics.latency.labels(endpoint).observe(elapsed)
        status, ms = response.status_code, round(elapsed * 1000, 2)
        fields = {"method": request.method, "path": path, "status": status, "ms": ms}
        if failure is not None:
            log.error("request failed", extra={"fields": {**fields, "error": failure}})
        elif endpoint not in OPEN_PATHS:
            log.info("request", extra={"fields": fields})
        return response

    @app.exception_handler(RequestError)
    async def refused(_: Request, error: RequestError) -> JSONResponse:
        return _error(error.status, error.message)

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, error: HTTPException) -> JSONResponse:
        return _error(error.status_code, str(error.detail))

    @app.post("/search")
    async def search(request: Request) -> JSONResponse:
        check_media_type(request.headers.get("content-type"))
        body = await read_body(request, limits.max_body_bytes, limits.body_seconds)
        parsed = parse_search(load_json(body), limits)
        snapshot = live.snapshot  # taken once: the whole answer comes from this version
        if snapshot is None:
            raise RequestError(503, "no index version loaded yet")
        return JSONResponse(await run_in_threadpool(_search, parsed, snapshot, search_threads))

    @app.get("/healthz")
    async def healthz() -> dict:
        return {"ok": True}

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        snapshot = live.snapshot
        if snapshot is None:  # the reason names the store and its keys: /status, behind the token, has it
            failed = "loading the live index failed (details in /status)"
            return _error(503, f"not ready: {failed if live.error else 'no index version loaded yet'}")
        return JSONResponse({"ready": True, "index_version": snapshot.index_version})

    @app.get("/status")
    async def status() -> dict:
        return live.status()

    @app.get("/metrics")
    async def prometheus() -> Response:
        return Response(metrics.exposition(), media_type="text/plain; version=0.0.4; charset=utf-8")

    return app

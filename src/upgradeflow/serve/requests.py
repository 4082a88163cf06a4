"""What ``POST /search`` accepts, and the checks that turn bad input into one 4xx line."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel, ConfigDict, ValidationError


class RequestError(Exception):
    """A request the service refuses: an HTTP status and a one-line reason."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Limits:
    max_k: int = 1000
    max_batch: int = 64
    max_body_bytes: int = 1 << 20
    body_seconds: float = 30.0  # to receive a whole body


class SearchRequest(BaseModel):
    """Either ``vectors`` (already embedded, the index's dimension) or ``images``
    (base64-encoded image files, embedded with the query model)."""

    model_config = ConfigDict(extra="forbid", strict=False)
    vectors: list[list[float]] | None = None
    images: list[str] | None = None
    k: int = 10


def parse_search(payload: object, limits: Limits) -> SearchRequest:
    """The decoded body (``serve.body.load_json``) as a search, within ``limits``."""
    if not isinstance(payload, dict):
        raise RequestError(422, "body must be a JSON object with 'vectors' or 'images', and 'k'")
    try:
        request = SearchRequest.model_validate(payload)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "body"
        raise RequestError(422, f"{where}: {first['msg']}") from None
    if (request.vectors is None) == (request.images is None):
        raise RequestError(422, "give exactly one of 'vectors' and 'images'")
    count = len(request.vectors if request.vectors is not None else request.images)
    if count == 0:
        raise RequestError(422, "no queries: 'vectors' or 'images' is empty")
    if count > limits.max_batch:
        raise RequestError(422, f"{count} queries in one request; at most {limits.max_batch}")
    if not 1 <= request.k <= limits.max_k:
        raise RequestError(422, f"k must be between 1 and {limits.max_k}, got {request.k}")
    return request


FLOAT32_MAX = float(np.finfo(np.float32).max)


def query_matrix(vectors: list[list[float]], dimension: int) -> np.ndarray:
    """L2-normalised float32 queries [N, d]: search is by cosine similarity.

    Values must be finite float32 numbers. The norm is taken in float64, where squares
    of float32 values cannot overflow, so a vector of large values is normalised
    exactly instead of being divided by an infinite norm into zeros.
    """
    for position, vector in enumerate(vectors):
        if len(vector) != dimension:
            raise RequestError(
                422, f"vectors[{position}] has {len(vector)} values; the index holds {dimension}-d vectors"
            )
    queries = np.asarray(vectors, dtype=np.float64)
    if not np.isfinite(queries).all():
        raise RequestError(422, "vectors must be finite numbers")
    outside = np.abs(queries).max(axis=1) > FLOAT32_MAX
    if outside.any():
        raise RequestError(
            422, f"vectors[{int(np.flatnonzero(outside)[0])}] has values outside float32's range (±{FLOAT32_MAX:.4g})"
        )
    norms = np.linalg.norm(queries, axis=1, keepdims=True)
    if (norms == 0).any():
        raise RequestError(422, f"vectors[{int(np.flatnonzero(norms[:, 0] == 0)[0])}] is all zeros")
    return np.ascontiguousarray(queries / norms, dtype=np.float32)

"""Reading a request body as JSON within limits: its media type, its size, the time it
takes to arrive and how deeply it nests.

Each check runs before the work it protects: the media type and the declared length
before a byte is read, the size and the time while reading, the nesting before
``json.loads``, whose recursive decoder would otherwise overflow the stack on a few
kilobytes of ``[``.
"""

from __future__ import annotations

import asyncio
import json
import re

import numpy as np
from starlette.requests import Request

from upgradeflow.serve.requests import RequestError

# A search body nests three levels (the object, the list of vectors, a vector): the limit
# leaves room to spare and refuses anything built to exhaust the decoder.
MAX_DEPTH = 8
MEDIA_TYPE = "application/json"

# JSON strings with their escapes (which may hide a quote): brackets inside them do not nest.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_OPENERS, _CLOSERS = np.frombuffer(b"[{", np.uint8), np.frombuffer(b"]}", np.uint8)


def check_media_type(content_type: str | None) -> None:
    """A body declared as anything but JSON (a form, plain text) is a client mistake;
    an undeclared one is read as JSON."""
    if content_type is None:
        return
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type != MEDIA_TYPE:
        raise RequestError(415, f"content-type must be {MEDIA_TYPE}, got '{content_type}'")


async def read_body(request: Request, max_bytes: int, seconds: float) -> bytes:
    """The body, refused as soon as it passes ``max_bytes`` (declared or streamed), or
    when it has not fully arrived within ``seconds`` (a client trickling it would
    otherwise hold the request open)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise RequestError(413, f"body of {declared} bytes is over the limit of {max_bytes}")
    chunks, size = [], 0
    try:
        async with asyncio.timeout(seconds):
            async for chunk in request.stream():
                size += len(chunk)
                if size > max_bytes:
                    raise RequestError(413, f"body is over the limit of {max_bytes} bytes")
                chunks.append(chunk)
    except TimeoutError:
        raise RequestError(408, f"request body not received within {seconds:g} s") from None
    return b"".join(chunks)


def nesting_depth(body: bytes) -> int:
    """How deeply arrays and objects nest in ``body``, counted outside strings. Exact for
    valid JSON; for invalid JSON a count the decoder then refuses anyway."""
    structure = np.frombuffer(_STRING.sub(b"", body), np.uint8)
    steps = np.isin(structure, _OPENERS).astype(np.int64) - np.isin(structure, _CLOSERS)
    return int(np.cumsum(steps).max(initial=0))


def _reject_constant(name: str) -> float:
    raise RequestError(422, f"{name} is not allowed: vectors must be finite numbers")


def load_json(body: bytes) -> object:
    """The decoded body: UTF-8 (RFC 8259), at most ``MAX_DEPTH`` deep, no NaN or Infinity."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise RequestError(400, f"body is not valid JSON (not UTF-8: {error.reason} at byte {error.start})") from None
    if nesting_depth(body) > MAX_DEPTH:
        raise RequestError(400, f"body is nested deeper than {MAX_DEPTH} levels of arrays and objects")
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except ValueError as error:
        raise RequestError(400, f"body is not valid JSON ({error})") from None

"""Reading a request body within limits: each check runs before the work it protects."""

from __future__ import annotations

import asyncio
import contextlib

import pytest
from starlette.requests import Request

from upgradeflow.serve.body import MAX_DEPTH, check_media_type, load_json, nesting_depth, read_body
from upgradeflow.serve.requests import RequestError


@contextlib.contextmanager
def refused(status: int, message: str):
    with pytest.raises(RequestError, match=message) as raised:
        yield
    assert raised.value.status == status


def test_brackets_inside_strings_do_not_nest():
    assert nesting_depth(b'{"a": "[[[[{{", "b": [1, [2]]}') == 3
    assert nesting_depth(b'["\\"[[[[", [1]]') == 2  # an escaped quote does not end the string
    assert nesting_depth(b"") == 0


def test_json_is_refused_for_what_the_decoder_must_not_see():
    assert load_json(b"[" * MAX_DEPTH + b"]" * MAX_DEPTH) is not None
    with refused(400, f"nested deeper than {MAX_DEPTH} levels"):
        load_json(b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1))
    with refused(400, r"not UTF-8: invalid start byte at byte 9"):
        load_json(b'{"k": "ab\xff"}')
    with refused(422, "-Infinity is not allowed"):
        load_json(b"[-Infinity]")


@pytest.mark.parametrize("content_type", [None, "application/json", "Application/JSON; charset=utf-8"])
def test_json_or_no_declared_type_is_read(content_type):
    check_media_type(content_type)


def test_another_declared_type_is_a_415():
    with refused(415, "content-type must be application/json, got 'text/plain'"):
        check_media_type("text/plain")


def request(chunks: list[bytes], headers: dict[str, str], delay: float = 0.0) -> tuple[Request, list]:
    """A starlette request whose body arrives in ``chunks``, ``delay`` seconds apart;
    the list records each chunk as it is read."""
    read: list[bytes] = []

    async def receive() -> dict:
        await asyncio.sleep(delay)
        if len(read) == len(chunks):
            return {"type": "http.disconnect"}
        read.append(chunks[len(read)])
        return {"type": "http.request", "body": read[-1], "more_body": len(read) < len(chunks)}

    scope = {"type": "http", "method": "POST", "path": "/search",
             "headers": [(k.encode(), v.encode()) for k, v in headers.items()]}  # fmt: skip
    return Request(scope, receive), read


def test_a_body_arrives_whole_within_the_limits():
    body, _ = request([b'{"k"', b": 3}"], {})
    assert asyncio.run(read_body(body, max_bytes=20, seconds=5)) == b'{"k": 3}'


def test_a_declared_length_over_the_limit_is_refused_before_a_byte_is_read():
    body, read = request([b"x" * 30], {"content-length": "30"})
    with refused(413, "body of 30 bytes is over the limit of 20"):
        asyncio.run(read_body(body, max_bytes=20, seconds=5))
    assert read == []


def test_a_trickling_body_is_a_408():
    body, _ = request([b"[", b"1", b"]"], {}, delay=0.2)
    with refused(408, "request body not received within 0.3 s"):
        asyncio.run(read_body(body, max_bytes=20, seconds=0.3))

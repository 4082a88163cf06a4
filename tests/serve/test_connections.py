"""Slow clients against the service process: headers and bodies that never finish are
cut off after their timeouts instead of holding connections open."""

from __future__ import annotations

import http.client
import json
import socket
import time
from urllib.parse import urlsplit

import httpx

from tests.serve.helpers import request_count, running_service


def _connect(base: str) -> socket.socket:
    address = urlsplit(base)
    return socket.create_connection((address.hostname, address.port), timeout=5)


def _closed_by_peer(connection: socket.socket) -> bool:
    try:
        return connection.recv(4096) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


def test_connections_that_never_finish_their_headers_are_closed(deployment):
    with running_service(deployment, "--header-timeout", "1") as served:
        silent = [_connect(served.base) for _ in range(50)]
        slow = [_connect(served.base) for _ in range(50)]
        for connection in slow:
            connection.sendall(b"POST /search HTTP/1.1\r\nHost: x\r\n")
        for connection in silent + slow:
            connection.setblocking(False)
        started, open_ = time.monotonic(), set(silent + slow)
        while open_ and time.monotonic() - started < 6:
            for connection in [c for c in slow if c in open_]:
                try:  # one more header line every 0.2 s: never complete
                    connection.send(b"X-Slow: 1\r\n")
                except OSError:
                    open_.discard(connection)
            open_ -= {c for c in open_ if _closed_by_peer(c)}
            time.sleep(0.2)
        elapsed = time.monotonic() - started
        assert not open_, f"{len(open_)} of 100 connections still open after {elapsed:.1f} s"
        assert elapsed < 4
        with httpx.Client(base_url=served.base) as client:  # one kept-alive connection, 2 s in all
            for _ in range(4):
                assert client.get("/healthz").status_code == 200  # the deadline is per request
                time.sleep(0.5)
    for connection in silent + slow:
        connection.close()


def test_a_body_that_never_arrives_is_a_counted_408(deployment):
    with running_service(deployment, "--body-timeout", "1") as served:
        connection = _connect(served.base)
        head = b"POST /search HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"
        connection.sendall(head + b'{"vectors": [[')
        started = time.monotonic()
        answer = http.client.HTTPResponse(connection)
        answer.begin()
        body = json.loads(answer.read())
        connection.close()
        assert answer.status == 408 and body == {"error": "request body not received within 1 s"}
        assert 0.9 < time.monotonic() - started < 4
        assert request_count(httpx.get(served.base + "/metrics").text, "/search", 408) == 1

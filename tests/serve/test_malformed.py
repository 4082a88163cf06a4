"""Malformed requests against the service process: every one gets a one-line 4xx, none a
5xx, each is counted in ``/metrics``, and the log stays one JSON object a line.

One process (with a query model and a bearer token) answers the whole table, so the
service must also keep answering well-formed requests between the bad ones.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field

import httpx
import pytest

from tests.serve.helpers import DIM, RunningService, image_deployment, png, request_count, running_service

TOKEN = "malformed-suite-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
JSON = {"content-type": "application/json"}
MAX_BODY = 400_000
NESTING = "[" * 2000


@dataclass(frozen=True)
class Case:
    body: object  # a dict or list is sent as JSON, str or bytes as they are
    status: int
    message: str
    headers: dict = field(default_factory=lambda: {**AUTH, **JSON})
    method: str = "POST"
    path: str = "/search"


def vectors(*rows: list, **more) -> dict:
    return {"vectors": list(rows), "k": 5, **more}


def image(data: bytes, **more) -> dict:
    return {"images": [base64.b64encode(data).decode()], **more}


def typed(content_type: str) -> dict:
    return {**AUTH, "content-type": content_type}


def raw_vector(first: str) -> str:
    """A body whose first vector value is ``first`` as written (NaN, 1e400...)."""
    return '{"vectors": [[' + first + ", 0.1" * (DIM - 1) + "]]}"


GOOD = [0.25] * DIM
CASES = {
    # -- not JSON, or JSON of the wrong shape
    "not-json": Case("{vectors:", 400, "not valid JSON"),
    "empty-body": Case("", 400, "not valid JSON"),
    "truncated-json": Case('{"vectors": [[0.1, 0.2', 400, "not valid JSON"),
    "trailing-garbage": Case('{"k": 3} trailing', 400, "not valid JSON"),
    "invalid-utf8": Case(b'{"k": "\xff\xfe"}', 400, "not valid JSON"),
    "huge-integer": Case('{"k": 1' + "0" * 5000 + "}", 400, "not valid JSON"),
    "nested-arrays-2000": Case(NESTING, 400, "nested deeper than"),
    "nested-objects-1500": Case('{"a":' * 1500, 400, "nested deeper than"),
    "nested-inside-vectors": Case('{"vectors": ' + "[" * 40 + "0.1" + "]" * 40 + "}", 400, "nested deeper than"),
    "top-level-array": Case("[1, 2]", 422, "JSON object"),
    "top-level-string": Case('"search"', 422, "JSON object"),
    "top-level-null": Case("null", 422, "JSON object"),
    "top-level-number": Case("42", 422, "JSON object"),
    # -- size
    "declared-body-too-large": Case(vectors(GOOD, pad="x" * MAX_BODY), 413, "over the limit"),
    "streamed-body-too-large": Case(b" " * (MAX_BODY + 10), 413, "over the limit"),
    # -- content types
    "text-plain": Case(vectors(GOOD), 415, "must be application/json, got 'text/plain'", typed("text/plain")),
    "form-encoded": Case("vectors=1", 415, "must be application/json", typed("application/x-www-form-urlencoded")),
    "multipart": Case("--b--", 415, "must be application/json", typed("multipart/form-data; boundary=b")),
    "xml": Case("<search/>", 415, "must be application/json", typed("application/xml")),
    # -- fields
    "neither-vectors-nor-images": Case({"k": 3}, 422, "exactly one of 'vectors' and 'images'"),
    "both-vectors-and-images": Case(vectors(GOOD, images=["aGk="]), 422, "exactly one of"),
    "unknown-field": Case(vectors(GOOD, top=3), 422, "top: Extra inputs are not permitted"),
    "null-vectors": Case({"vectors": None}, 422, "exactly one of"),
    "vectors-a-string": Case({"vectors": "0.1,0.2"}, 422, "vectors: Input should be a valid list"),
    "vectors-flat": Case({"vectors": GOOD}, 422, "vectors.0: Input should be a valid list"),
    "vectors-an-object": Case({"vectors": {"a": GOOD}}, 422, "vectors: Input should be a valid list"),
    "value-a-word": Case(vectors(["x", *GOOD[1:]]), 422, "vectors.0.0: Input should be a valid number"),
    "value-null": Case(vectors([None, *GOOD[1:]]), 422, "vectors.0.0: Input should be a valid number"),
    "value-a-list": Case(vectors([[0.1], *GOOD[1:]]), 422, "vectors.0.0: Input should be a valid number"),
    # -- values
    "nan": Case(raw_vector("NaN"), 422, "NaN is not allowed"),
    "infinity": Case(raw_vector("Infinity"), 422, "Infinity is not allowed"),
    "minus-infinity": Case(raw_vector("-Infinity"), 422, "-Infinity is not allowed"),
    "overflow-1e400": Case(raw_vector("1e400"), 422, "finite numbers"),
    "nan-as-a-string": Case(vectors(["NaN", *GOOD[1:]]), 422, "finite numbers"),
    "1e200": Case(vectors([1e200] * DIM), 422, "outside float32's range"),
    "minus-1e200": Case(vectors([-1e200] * DIM), 422, "outside float32's range"),
    "one-value-over-float32": Case(vectors([3.5e38, *GOOD[1:]]), 422, "outside float32's range"),
    "zero-vector": Case(vectors([0.0] * DIM), 422, "all zeros"),
    "negative-zero-vector": Case(vectors([-0.0] * DIM), 422, "all zeros"),
    "too-few-values": Case(vectors(GOOD[:-1]), 422, f"has {DIM - 1} values; the index holds {DIM}-d"),
    "too-many-values": Case(vectors([*GOOD, 0.5]), 422, f"has {DIM + 1} values"),
    "empty-vector": Case(vectors([]), 422, "has 0 values"),
    "second-vector-bad": Case(vectors(GOOD, [0.0] * DIM), 422, "vectors[1] is all zeros"),
    "empty-batch": Case({"vectors": []}, 422, "no queries"),
    "batch-too-large": Case(vectors(*[GOOD] * 5), 422, "5 queries in one request; at most 4"),
    # -- k
    "k-zero": Case(vectors(GOOD, k=0), 422, "k must be between 1 and 50, got 0"),
    "k-negative": Case(vectors(GOOD, k=-1), 422, "got -1"),
    "k-over-max": Case(vectors(GOOD, k=51), 422, "got 51"),
    "k-1e9": Case(vectors(GOOD, k=1e9), 422, "got 1000000000"),
    "k-a-word": Case(vectors(GOOD, k="ten"), 422, "k: Input should be a valid integer"),
    "k-fraction": Case(vectors(GOOD, k=1.5), 422, "k: Input should be a valid integer"),
    "k-null": Case(vectors(GOOD, k=None), 422, "k: Input should be a valid integer"),
    "k-a-list": Case(vectors(GOOD, k=[5]), 422, "k: Input should be a valid integer"),
    "k-infinite": Case('{"vectors": [' + json.dumps(GOOD) + '], "k": 1e400}', 422, "k: Input should be"),
    # -- images
    "image-not-base64": Case({"images": ["not base64!"]}, 422, "not a base64-encoded image file"),
    "image-empty-string": Case({"images": [""]}, 422, "images[0]: not a PNG or JPEG file"),
    "image-garbage-bytes": Case(image(b"\x00" * 300), 422, "images[0]: not a PNG or JPEG file"),
    "image-a-number": Case({"images": [7]}, 422, "images.0: Input should be a valid string"),
    "image-gif": Case(image(b"GIF89a" + bytes(40)), 422, "not a PNG or JPEG file"),
    "image-wrong-size": Case(image(png(10, 10)), 422, "is 10x10, the model takes 12x12"),
    "image-truncated": Case(image(png(12, 12, rows=3)), 422, "cannot be decoded"),
    "png-bomb-20000x20000": Case(image(png(20000, 20000, rows=100)), 422, "is 20000x20000"),
    "png-8000x8000-rgb": Case(image(png(8000, 8000, mode="RGB")), 422, "is 8000x8000"),
    "png-1x1000000": Case(image(png(1, 1_000_000, rows=10)), 422, "is 1x1000000"),
    "too-many-images": Case({"images": [base64.b64encode(png(12, 12)).decode()] * 5}, 422, "5 queries"),
    # -- auth, paths and methods
    "no-token": Case(vectors(GOOD), 401, "missing bearer token", JSON),
    "wrong-token": Case(vectors(GOOD), 401, "wrong bearer token", {**JSON, "Authorization": "Bearer nope"}),
    "basic-auth": Case(vectors(GOOD), 401, "missing bearer token", {**JSON, "Authorization": "Basic dTpw"}),
    "bare-bearer": Case(vectors(GOOD), 401, "missing bearer token", {**JSON, "Authorization": "Bearer"}),
    "token-prefix": Case(vectors(GOOD), 401, "wrong bearer token", {**JSON, "Authorization": f"Bearer {TOKEN[:-1]}"}),
    "get-search": Case(None, 405, "Method Not Allowed", AUTH, "GET"),
    "put-status": Case(None, 405, "Method Not Allowed", AUTH, "PUT", "/status"),
    "unknown-path": Case(vectors(GOOD), 404, "Not Found", path="/searches"),
}


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> RunningService:
    deployment, checkpoint, _ = image_deployment(tmp_path_factory.mktemp("malformed"))
    limits = ["--max-k", "50", "--max-batch", "4", "--max-body-bytes", str(MAX_BODY)]
    token = {"UPGRADEFLOW_SERVE_TOKEN": TOKEN}
    with running_service(deployment, "--model", str(checkpoint), *limits, env=token) as run:
        yield run


def send(base: str, case: Case) -> httpx.Response:
    if isinstance(case.body, dict | list):
        content = json.dumps(case.body).encode()
    else:
        content = case.body.encode() if isinstance(case.body, str) else case.body
    if case.path == "/search" and isinstance(case.body, bytes) and len(case.body) > MAX_BODY:
        content = iter([content[i : i + 65536] for i in range(0, len(content), 65536)])  # chunked, no length
    return httpx.request(case.method, base + case.path, content=content, headers=case.headers, timeout=30)


def peak_memory_kib(pid: int) -> int:
    """The process's peak resident memory (VmHWM)."""
    with open(f"/proc/{pid}/status") as status:
        (line,) = [line for line in status if line.startswith("VmHWM:")]
    return int(line.split()[1])


def test_an_oversized_png_is_refused_without_being_decoded(served):
    # First in this module, before anything else has raised the process's peak memory.
    good = {"images": [base64.b64encode(png(12, 12)).decode()]}
    assert httpx.post(served.base + "/search", json=good, headers=AUTH).status_code == 200  # warm
    before = peak_memory_kib(served.process.pid)
    response = send(served.base, CASES["png-8000x8000-rgb"])  # 8000x8000 RGB: 192 MB of pixels
    assert response.status_code == 422, response.text
    grown_mib = (peak_memory_kib(served.process.pid) - before) / 1024
    assert grown_mib < 40, f"peak memory grew by {grown_mib:.0f} MiB"


@pytest.mark.parametrize("name", CASES)
def test_malformed_request_gets_a_counted_one_line_4xx(served, name):
    case = CASES[name]
    endpoint = case.path if case.path in ("/search", "/status") else "other"
    counted_before = request_count(httpx.get(served.base + "/metrics", headers=AUTH).text, endpoint, case.status)

    response = send(served.base, case)

    assert response.status_code < 500, response.text
    assert response.status_code == case.status, response.text
    error = response.json()["error"]
    assert case.message in error and "\n" not in error, error
    counted = request_count(httpx.get(served.base + "/metrics", headers=AUTH).text, endpoint, case.status)
    assert counted == counted_before + 1
    assert request_count(httpx.get(served.base + "/metrics", headers=AUTH).text, "/search", 500) == 0
    good = httpx.post(served.base + "/search", json=vectors(GOOD), headers=AUTH)
    assert good.status_code == 200, good.text  # the process carries on
    log = served.log.read_text()
    assert "Traceback" not in log
    for line in log.splitlines():
        json.loads(line)  # one JSON object a line, nothing else

"""The HTTP API: answers, limits, auth, and one-line 4xx for every malformed request."""

from __future__ import annotations

import base64
import io
import json
import logging
import time

import numpy as np
import pytest
from fastapi.testclient import TestClient

from tests.serve.helpers import DIM, Deployment, exact_top_k, image_deployment, png, request_count
from tests.store.helpers import unit_vectors
from upgradeflow.serve.requests import Limits
from upgradeflow.serve.service import ServeSettings, build_service

TOKEN = "s3cret-token"


def service(deployment: Deployment, **settings) -> tuple[TestClient, object]:
    defaults = {"gallery": "g", "index": "g", "limits": Limits(max_k=50, max_batch=4, max_body_bytes=20_000)}
    app, live = build_service(deployment.store, ServeSettings(**{**defaults, **settings}))
    live.refresh()
    return TestClient(app), live


def test_search_by_vector_answers_from_the_live_index(deployment):
    client, _ = service(deployment)
    queries = unit_vectors(3, DIM, seed=4)
    response = client.post("/search", json={"vectors": (queries * 3).tolist(), "k": 5})  # scaled: normalised
    assert response.status_code == 200
    body = response.json()
    want_scores, want_ids = exact_top_k(deployment.vectors["v1"], queries, 5)
    assert [[hit["id"] for hit in row] for row in body["results"]] == want_ids
    np.testing.assert_allclose([[hit["score"] for hit in row] for row in body["results"]], want_scores, atol=1e-5)
    assert body["index_version"] == "v1.flat" and body["gallery_version"] == "v1" and body["backfill"] is None


def test_status_readiness_and_metrics(deployment):
    client, _ = service(deployment)
    client.post("/search", json={"vectors": unit_vectors(1, DIM, seed=4).tolist()})
    status = client.get("/status").json()
    assert status["ready"] and status["index"]["version"] == "v1.flat" and status["index"]["rows"] == 600
    assert status["backfilled_fraction"] == 0.0 and status["last_error"] is None
    assert client.get("/readyz").json() == {"ready": True, "index_version": "v1.flat"}
    assert client.get("/healthz").status_code == 200
    metrics = client.get("/metrics").text
    assert 'upgradeflow_serve_requests_total{endpoint="/search",status="200"} 1.0' in metrics
    assert 'upgradeflow_serve_index_info{gallery_version="v1",index="g",index_version="v1.flat"} 1.0' in metrics
    assert 'upgradeflow_serve_request_seconds_bucket{endpoint="/search",le="0.05"}' in metrics


def test_not_ready_until_an_index_is_live(tmp_path):
    client, _ = service(Deployment(tmp_path))
    assert client.get("/readyz").status_code == 503
    response = client.post("/search", json={"vectors": [[1.0] * DIM]})
    assert response.status_code == 503 and response.json() == {"error": "no index version loaded yet"}


def _vector(**override) -> dict:
    return {"vectors": [[0.25] * DIM], "k": 5, **override}


MALFORMED = {
    "wrong dimension": (_vector(vectors=[[0.5] * (DIM - 1)]), 422, "has 15 values; the index holds 16-d"),
    "NaN": ('{"vectors": [[NaN' + ", 0.1" * (DIM - 1) + "]]}", 422, "NaN is not allowed"),
    "Infinity": ('{"vectors": [[Infinity' + ", 0.1" * (DIM - 1) + "]]}", 422, "Infinity is not allowed"),
    "overflow to inf": ('{"vectors": [[1e400' + ", 0.1" * (DIM - 1) + "]]}", 422, "finite numbers"),
    "zero vector": (_vector(vectors=[[0.0] * DIM]), 422, "all zeros"),
    "k zero": (_vector(k=0), 422, "k must be between 1 and 50, got 0"),
    "k negative": (_vector(k=-3), 422, "got -3"),
    "k too large": (_vector(k=51), 422, "got 51"),
    "k not a number": (_vector(k="ten"), 422, "k: Input should be a valid integer"),
    "batch too large": (_vector(vectors=[[0.25] * DIM] * 5), 422, "5 queries in one request; at most 4"),
    "empty batch": (_vector(vectors=[]), 422, "no queries"),
    "ragged vector": (_vector(vectors=[[0.25] * DIM, "x"]), 422, "vectors.1: Input should be a valid list"),
    "neither": ({"k": 3}, 422, "exactly one of 'vectors' and 'images'"),
    "both": (_vector(images=["aGk="]), 422, "exactly one of"),
    "unknown field": (_vector(top=3), 422, "top: Extra inputs are not permitted"),
    "not an object": ("[1, 2]", 422, "JSON object"),
    "not JSON": ("{vectors:", 400, "not valid JSON"),
    "images without a model": ({"images": ["aGk="]}, 422, "embeds no raw items"),
    "oversized body": (_vector(vectors=[[0.25] * DIM] * 2, padding="x" * 30_000), 413, "over the limit of 20000"),
}


@pytest.mark.parametrize("case", MALFORMED)
def test_malformed_requests_get_a_one_line_4xx(deployment, case):
    client, _ = service(deployment)
    body, status, message = MALFORMED[case]
    content = body if isinstance(body, str) else json.dumps(body)
    response = client.post("/search", content=content, headers={"content-type": "application/json"})
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert message in error and "\n" not in error
    assert client.post("/search", json=_vector()).status_code == 200  # the process carries on


def test_a_streamed_body_over_the_limit_is_refused_without_a_declared_length(deployment):
    client, _ = service(deployment)

    def chunks():
        for _ in range(30):
            yield b" " * 1000

    response = client.post("/search", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413 and "over the limit of 20000 bytes" in response.json()["error"]


def test_a_token_guards_every_endpoint_but_health(deployment):
    client, _ = service(deployment, token=TOKEN)
    for path in ("/status", "/metrics"):
        assert client.get(path).status_code == 401
    missing = client.post("/search", json=_vector())
    assert missing.status_code == 401 and missing.json()["error"].startswith("missing bearer token")
    wrong = client.post("/search", json=_vector(), headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and wrong.json() == {"error": "wrong bearer token"}
    good = {"Authorization": f"Bearer {TOKEN}"}
    assert client.post("/search", json=_vector(), headers=good).status_code == 200
    assert client.get("/status", headers=good).status_code == 200
    assert client.get("/healthz").status_code == 200 and client.get("/readyz").status_code == 200


def test_unknown_paths_and_methods_get_one_line_errors(deployment):
    client, _ = service(deployment)
    assert client.get("/nope").json() == {"error": "Not Found"}
    assert client.get("/search").status_code == 405


def _png(pixels: np.ndarray) -> str:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def test_raw_images_are_embedded_with_the_query_model(tmp_path):
    deployment, checkpoint, images = image_deployment(tmp_path)
    client, _ = service(deployment, model=str(checkpoint))

    response = client.post("/search", json={"images": [_png(images[7]), _png(images[123])], "k": 3})
    assert response.status_code == 200, response.text
    body = response.json()
    assert [row[0]["id"] for row in body["results"]] == ["item-7", "item-123"]
    assert body["results"][0][0]["score"] == pytest.approx(1.0, abs=1e-4)
    assert body["model"]["resolved"] == str(checkpoint)
    wrong_size = client.post("/search", json={"images": [_png(images[7][:10, :10])]})
    assert wrong_size.status_code == 422 and "is 10x10, the model takes 12x12" in wrong_size.json()["error"]
    garbage = client.post("/search", json={"images": ["not base64!"]})
    assert garbage.status_code == 422 and "not a base64-encoded image file" in garbage.json()["error"]


def _count(client: TestClient, endpoint: str, status: int) -> float:
    return request_count(client.get("/metrics").text, endpoint, status)


@pytest.mark.parametrize("body", ["[" * 2000, '{"a":' * 1500], ids=["arrays", "objects"])
def test_deeply_nested_json_is_a_counted_400_not_a_recursion_error(deployment, body):
    client, _ = service(deployment)
    response = client.post("/search", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 400, response.text
    assert "nested deeper than" in response.json()["error"]
    assert _count(client, "/search", 400) == 1


@pytest.fixture(scope="module")
def image_service(tmp_path_factory) -> TestClient:
    deployment, checkpoint, _ = image_deployment(tmp_path_factory.mktemp("images"))
    return service(deployment, model=str(checkpoint), limits=Limits(max_body_bytes=1 << 20))[0]


def _post_png(client: TestClient, data: bytes):
    return client.post("/search", json={"images": [base64.b64encode(data).decode()]})


def test_an_image_declaring_20000x20000_pixels_is_a_422(image_service):
    response = _post_png(image_service, png(20000, 20000, rows=100))
    assert response.status_code == 422, response.text
    assert response.json() == {"error": "images[0]: is 20000x20000, the model takes 12x12"}


def test_image_dimensions_are_checked_from_the_header_before_decoding(image_service):
    # The pixel data stops after two rows: decoding would fail on the truncated data, so
    # an answer naming the declared size shows the size was read from the header alone.
    response = _post_png(image_service, png(4000, 4000, rows=2))
    assert response.status_code == 422, response.text
    assert response.json() == {"error": "images[0]: is 4000x4000, the model takes 12x12"}


@pytest.mark.parametrize(
    ("data", "message"),
    [(png(12, 12, rows=3), "cannot be decoded"), (b"GIF89a" + bytes(40), "not a PNG or JPEG file")],
    ids=["truncated-png", "gif"],
)
def test_undecodable_images_are_a_422_naming_the_problem(image_service, data, message):
    response = _post_png(image_service, data)
    assert response.status_code == 422, response.text
    assert response.json()["error"].startswith("images[0]: ") and message in response.json()["error"]


def test_an_unhandled_error_is_a_counted_500_logged_on_one_line(deployment):
    from upgradeflow.serve.logs import JsonLines

    app, live = build_service(deployment.store, ServeSettings(gallery="g", index="g"))
    live.refresh()

    @app.get("/fails")
    async def fails() -> None:  # a handler failing the way a bug would
        raise RuntimeError("first line of the failure\nsecond line")

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLines())
    logger = logging.getLogger("upgradeflow.serve")
    logger.addHandler(handler)
    try:
        response = TestClient(app).get("/fails")
    finally:
        logger.removeHandler(handler)
    assert response.status_code == 500 and response.json() == {"error": "internal error"}
    assert _count(TestClient(app), "other", 500) == 1
    (line,) = [line for line in stream.getvalue().splitlines() if '"status": 500' in line]
    entry = json.loads(line)
    assert entry["level"] == "error" and entry["path"] == "/fails"
    assert entry["error"] == "RuntimeError: first line of the failure"
    assert "Traceback" not in stream.getvalue() and "second line" not in stream.getvalue()


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"])
def test_a_body_that_is_not_declared_json_is_a_415(deployment, content_type):
    client, _ = service(deployment)
    response = client.post("/search", content=json.dumps(_vector()), headers={"content-type": content_type})
    assert response.status_code == 415, response.text
    assert response.json() == {"error": f"content-type must be application/json, got '{content_type}'"}
    json_utf8 = {"content-type": "application/json; charset=utf-8"}
    assert client.post("/search", content=json.dumps(_vector()), headers=json_utf8).status_code == 200


def test_readyz_reveals_no_configuration_when_a_load_fails(deployment):
    (deployment.store.root / "indexes/g/versions/v1.flat/shards/shard-00000.faiss").unlink()
    client, live = service(deployment, token=TOKEN)
    assert live.error is not None and str(deployment.store.root) in live.error.message
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json() == {"error": "not ready: loading the live index failed (details in /status)"}
    status = client.get("/status", headers={"Authorization": f"Bearer {TOKEN}"}).json()
    assert "shard-00000.faiss is missing" in status["last_error"]["message"]  # behind the token


def test_readyz_reveals_no_configuration_when_polling_fails(deployment):
    (deployment.store.root / "indexes/g/CURRENT").write_text("{not a pointer")
    app, live = build_service(deployment.store, ServeSettings(gallery="g", index="g", poll_seconds=0.05))
    live.start()
    try:
        deadline = time.monotonic() + 10
        while live.error is None and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        live.stop()
    assert live.error is not None and deployment.store.uri in live.error.message
    ready = TestClient(app).get("/readyz")
    assert ready.status_code == 503
    assert ready.json() == {"error": "not ready: loading the live index failed (details in /status)"}

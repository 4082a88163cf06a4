"""Shared fixtures: one small glyph build per session (fonts from Debian packages)."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

from upgradeflow.data.fonts import glyph_font_packages

FONT_LIST = Path("/var/lib/dpkg/info")


def fonts_installed() -> bool:
    return all((FONT_LIST / f"{p}.list").exists() for p in glyph_font_packages())


needs_fonts = pytest.mark.skipif(
    not fonts_installed(),
    reason="glyph font packages not installed (scripts/setup.sh installs them)",
)


@pytest.fixture(scope="session")
def small_glyphs(tmp_path_factory) -> Path:
    """A 60-identity glyph build (a seeded subset of the full benchmark)."""
    from upgradeflow.data.glyphs import GlyphConfig, build_glyphs

    out = tmp_path_factory.mktemp("glyphs-small")
    build_glyphs(out, GlyphConfig(max_identities=60), progress=False)
    return out


@pytest.fixture(scope="session")
def full_glyphs_dir(tmp_path_factory) -> Path:
    """A data directory holding the full glyph benchmark, built through the command line."""
    from upgradeflow.cli.main import main

    data_dir = tmp_path_factory.mktemp("data")
    assert main(["data", "glyphs", "--out", str(data_dir / "glyphs"), "--no-progress"]) == 0
    return data_dir


# -- storage: a local directory and the project's real S3 server (Ceph RGW) ---------

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session", autouse=True)
def repository_on_pythonpath():
    """The steps (``tasks.*``) and the DAGs (``dags.*``) are not installed: like
    ``scripts/run.sh``, give every process the tests start the repository root."""
    import os

    saved = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), saved]))
    yield
    if saved is None:
        os.environ.pop("PYTHONPATH", None)
    else:
        os.environ["PYTHONPATH"] = saved


S3_SCRIPT = ROOT / "scripts" / "s3-server.sh"


@pytest.fixture(scope="session")
def s3_environment() -> dict[str, str]:
    """Start (idempotently) the Ceph RGW server and point boto3 at it for the session."""
    import os
    import subprocess

    subprocess.run(["bash", str(S3_SCRIPT), "start"], check=True)
    exports = subprocess.run(["bash", str(S3_SCRIPT), "env"], check=True, capture_output=True, text=True).stdout
    environment = {}
    for line in exports.splitlines():
        name, _, value = line.removeprefix("export ").partition("=")
        environment[name] = value.strip("'\"")
    saved = {name: os.environ.get(name) for name in environment}
    os.environ.update(environment)
    yield environment
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@contextlib.contextmanager
def _fresh_bucket():
    """A new bucket, emptied and removed afterwards."""
    import uuid

    import boto3

    from upgradeflow.store.s3 import CLIENT_CONFIG

    client = boto3.client("s3", config=CLIENT_CONFIG)
    bucket = f"upgradeflow-test-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=bucket)
    try:
        yield bucket
    finally:
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
            if keys:
                client.delete_objects(Bucket=bucket, Delete={"Objects": keys})
        client.delete_bucket(Bucket=bucket)


@pytest.fixture
def s3_bucket(s3_environment) -> str:
    """A fresh bucket per test."""
    with _fresh_bucket() as bucket:
        yield bucket


@pytest.fixture(scope="module")
def s3_bucket_module(s3_environment) -> str:
    """A fresh bucket shared by one module's tests (a deployment's lifetime)."""
    with _fresh_bucket() as bucket:
        yield bucket


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.s3)])
def store_uri(request, tmp_path) -> str:
    """The same test against a local directory and against real S3."""
    if request.param == "local":
        return str(tmp_path / "store")
    return f"s3://{request.getfixturevalue('s3_bucket')}/root"


@pytest.fixture
def restore_tracking(monkeypatch):
    """mlflow's tracking URI is process-wide: a test that points it elsewhere puts it back."""
    import mlflow

    previous = mlflow.get_tracking_uri()
    monkeypatch.delenv("MLFLOW_ALLOW_FILE_STORE", raising=False)
    yield
    mlflow.set_tracking_uri(previous)


# -- MLflow: a real tracking server (SQLite backend, proxied artifacts) --------------


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory) -> str:
    """``mlflow server`` on a free loopback port for the session; yields its URI."""
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    root = tmp_path_factory.mktemp("mlflow")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = (root / "server.log").open("w")
    server = subprocess.Popen(
        [
            sys.executable, "-m", "mlflow", "server",
            "--backend-store-uri", f"sqlite:///{root / 'mlflow.db'}",
            "--artifacts-destination", str(root / "artifacts"),
            "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
        ],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    uri = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            with urllib.request.urlopen(f"{uri}/health", timeout=2):
                break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                raise RuntimeError(
                    f"mlflow server did not start: {(root / 'server.log').read_text()[-2000:]}"
                ) from None
            time.sleep(0.5)
    yield uri
    import os
    import signal

    os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=30)

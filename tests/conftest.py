"""Shared fixtures: one small glyph build per session (fonts from Debian packages)."""

from __future__ import annotations

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
    from upgradeflow.cli import main

    data_dir = tmp_path_factory.mktemp("data")
    assert main(["data", "glyphs", "--out", str(data_dir / "glyphs"), "--no-progress"]) == 0
    return data_dir


# -- storage: a local directory and the project's real S3 server (Ceph RGW) ---------

ROOT = Path(__file__).resolve().parents[1]
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


@pytest.fixture
def s3_bucket(s3_environment) -> str:
    """A fresh bucket per test, emptied and removed afterwards."""
    import uuid

    import boto3

    from upgradeflow.store.s3 import CLIENT_CONFIG

    client = boto3.client("s3", config=CLIENT_CONFIG)
    bucket = f"upgradeflow-test-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=bucket)
    yield bucket
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
        if keys:
            client.delete_objects(Bucket=bucket, Delete={"Objects": keys})
    client.delete_bucket(Bucket=bucket)


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.s3)])
def store_uri(request, tmp_path) -> str:
    """The same test against a local directory and against real S3."""
    if request.param == "local":
        return str(tmp_path / "store")
    return f"s3://{request.getfixturevalue('s3_bucket')}/root"

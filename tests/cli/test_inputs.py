"""Malformed input on the command line is refused in one line, exit 2, before any
rendering, fitting, loading or writing starts."""

from __future__ import annotations

import http.server
import threading

import pytest

from tests.cli.helpers import files_under
from tests.cli.test_main import main_user_error
from tests.store.helpers import unit_vectors, write_embeddings
from upgradeflow.cli.main import main
from upgradeflow.store.gallery import Gallery
from upgradeflow.store.location import open_store

# -- data glyphs: refused before a minute of rendering ------------------------------


@pytest.fixture
def no_rendering(monkeypatch):
    """Rendering starts by looking for font faces; a refused command must not get there."""

    def forbidden(*_args, **_kwargs):
        raise AssertionError("rendering started")

    monkeypatch.setattr("upgradeflow.data.glyphs.find_faces", forbidden)


@pytest.mark.parametrize(
    ("out", "extra", "message"),
    [
        ("a-file/glyphs", [], "a-file: not a directory"),
        ("a-file", [], "a-file: exists and is not a directory"),
        ("glyphs", ["--seed", "-1"], "argument --seed: must be a non-negative integer, got -1"),
    ],
    ids=["out-under-a-file", "out-is-a-file", "negative-seed"],
)
def test_glyphs_refuse_bad_output_or_seed_before_rendering(capsys, tmp_path, no_rendering, out, extra, message):
    (tmp_path / "a-file").write_text("not a directory\n")
    before = files_under(tmp_path)
    error = main_user_error(capsys, "data", "glyphs", "--out", str(tmp_path / out), *extra)
    assert message in error, error
    assert files_under(tmp_path) == before


# -- gallery import: the live dimension holds --------------------------------------


def test_import_of_another_dimension_is_refused_and_stages_nothing(capsys, tmp_path):
    store = str(tmp_path / "store")
    wide = write_embeddings(tmp_path / "wide.parquet", 20, vectors=unit_vectors(20, 64, 0))
    narrow = write_embeddings(tmp_path / "narrow.parquet", 20, vectors=unit_vectors(20, 32, 1))
    assert main(["gallery", "import", "g", "--from", str(wide), "--version", "v1", "--store", store]) == 0
    error = main_user_error(
        capsys, "gallery", "import", "g", "--from", str(narrow), "--version", "v2", "--store", store, "--no-progress"
    )
    assert error.endswith("embedding dimension 32, expected 64 (the dimension of live version v1)"), error
    gallery = Gallery(open_store(store), "g")
    assert gallery.version_names() == ["v1"] and gallery.pointer().current == "v1"


# -- MLflow: an unreachable or failing server is found at once ---------------------


class Unavailable(http.server.BaseHTTPRequestHandler):
    """A tracking server that answers every request 503 and counts them."""

    requests = 0

    def do_GET(self):
        type(self).requests += 1
        self.send_response(503)
        self.end_headers()

    do_POST = do_GET

    def log_message(self, *args):
        pass


def test_an_unavailable_tracking_server_fails_at_the_first_request(capsys, tmp_path, restore_tracking):
    """MLflow's client retries a 503 seven times with backoff (four minutes); the probe
    asks once and names the URI."""
    Unavailable.requests = 0
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Unavailable)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    uri = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        error = main_user_error(capsys, "status", "--store", str(tmp_path / "store"), "--tracking-uri", uri)
    finally:
        server.shutdown()
        server.server_close()
    assert error.startswith(f"upgradeflow: error: tracking URI '{uri}': ") and "503" in error, error
    assert Unavailable.requests == 1


def test_a_refused_tracking_server_fails_at_once(capsys, tmp_path, restore_tracking):
    import socket

    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        uri = f"http://127.0.0.1:{closed.getsockname()[1]}"
    error = main_user_error(capsys, "status", "--store", str(tmp_path / "store"), "--tracking-uri", uri)
    assert error.startswith(f"upgradeflow: error: tracking URI '{uri}': cannot reach the tracking server"), error


def test_backfill_from_a_registry_that_does_not_exist_creates_none(capsys, tmp_path, index_store, monkeypatch):
    """Reading a model version must not create an empty MLflow database (and log its
    creation) where none was."""
    database = tmp_path / "mlflow.db"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{database}")
    error = main_user_error(capsys, "gallery", "backfill", "g", "--model", "models:/glyphs@challenger",
                            "--store", index_store, "--no-progress")  # fmt: skip
    assert error == f"upgradeflow: error: {database}: no MLflow database (run the bootstrap DAG first)"
    assert not database.exists()

"""The gallery and index commands from the command line: results and one-line errors."""

from __future__ import annotations

import json
import time

import pytest

from tests.store.helpers import make_adapter, unit_vectors, write_embeddings
from upgradeflow.cli.main import main


def run(capsys, *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


def one_line_error(err: str, status: int, expected: int = 2) -> str:
    lines = [line for line in err.splitlines() if line.strip() and "%|" not in line]
    assert status == expected and len(lines) == 1 and lines[0].startswith("upgradeflow: "), err
    return lines[0]


def test_gallery_and_index_round_trip(capsys, tmp_path, store_uri):
    source = write_embeddings(tmp_path / "g.parquet", 500, vectors=unit_vectors(500, 16, 0))
    s = ["--store", store_uri]
    assert (
        run(capsys, "gallery", "import", "g", "--from", str(source), "--version", "v1", "--shard-rows", "200", *s)[0]
        == 0
    )
    adapter = make_adapter(tmp_path / "adapter")
    status, out, _ = run(capsys, "gallery", "evolve", "g", "--adapter", str(adapter), "--no-progress", *s)
    summary = json.loads(out)
    assert status == 0 and [x["skipped"] for x in summary["shards"]] == [False, False, False]
    assert json.loads(run(capsys, "gallery", "evolve", "g", "--adapter", str(adapter), "--no-progress", *s)[1])[
        "shards"
    ][0]["skipped"]
    assert run(capsys, "gallery", "commit", "g", summary["to"], *s)[0] == 0
    status, out, _ = run(capsys, "gallery", "list", "g", *s)
    assert status == 0 and f"{summary['to']}" in out and "live" in out and "previous" in out
    assert json.loads(run(capsys, "gallery", "show", "g", *s)[1])["live"] is True

    assert run(capsys, "index", "build", "g", "--gallery", "g", "--no-progress", *s)[0] == 0
    assert run(capsys, "index", "swap", "g", f"{summary['to']}.flat", *s)[0] == 0
    queries = write_embeddings(tmp_path / "q.parquet", 3, vectors=unit_vectors(3, 16, 5), prefix="q")
    status, out, _ = run(capsys, "index", "search", "g", "--queries", str(queries), "--k", "4", *s)
    results = json.loads(out)["results"]
    assert status == 0 and [len(r["ids"]) for r in results] == [4, 4, 4]
    assert all(r["scores"] == sorted(r["scores"], reverse=True) for r in results)

    assert run(capsys, "gallery", "rollback", "g", *s)[0] == 0
    assert json.loads(run(capsys, "gallery", "show", "g", *s)[1])["version"] == "v1"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["gallery", "show", "g"], "no live version"),
        (["gallery", "commit", "g", "nope"], "nothing staged"),
        (["gallery", "rollback", "g"], "no previous version"),
        (["gallery", "gc", "g", "--keep", "-1"], "--keep must be >= 0"),
        (["gallery", "import", "g", "--from", "missing.parquet"], "no such file"),
        (["gallery", "import", "g", "--from", __file__], "not a readable Parquet file"),
        (["gallery", "import", "bad/name", "--from", "x"], "gallery name"),
        (["index", "search", "g", "--queries", "missing.parquet"], "no such file"),
        (["index", "build", "g", "--gallery", "g", "--kind", "lsh"], "unknown index kind"),
    ],
)
def test_user_mistakes_are_one_line(capsys, tmp_path, args, message):
    status, _, err = run(capsys, *args, "--store", str(tmp_path / "store"))
    assert message in one_line_error(err, status)


def test_import_without_model_column_names_the_option(capsys, tmp_path):
    import pyarrow.parquet as pq

    path = write_embeddings(tmp_path / "g.parquet", 5)
    pq.write_table(pq.read_table(path).drop_columns(["model"]), path)
    status, _, err = run(capsys, "gallery", "import", "g", "--from", str(path), "--store", str(tmp_path / "s"))
    assert "--model" in one_line_error(err, status)


def test_unreachable_endpoint_fails_fast_and_names_it(capsys, tmp_path):
    started = time.monotonic()
    status, _, err = run(
        capsys, "gallery", "list", "g", "--store", "s3://bucket/x", "--endpoint-url", "http://127.0.0.1:9"
    )
    assert "cannot reach S3 endpoint http://127.0.0.1:9" in one_line_error(err, status)
    assert time.monotonic() - started < 20  # no minutes of retries


@pytest.mark.s3
def test_missing_bucket_names_bucket_and_endpoint(capsys, s3_environment):
    status, _, err = run(capsys, "gallery", "list", "g", "--store", "s3://no-such-bucket-here/x")
    line = one_line_error(err, status)
    assert "s3://no-such-bucket-here: no such bucket at" in line and s3_environment["AWS_ENDPOINT_URL"] in line


def test_backfill_from_the_command_line(capsys, tmp_path):
    import torch

    from tests.backfill.helpers import evolved_gallery, image_dataset, tiny_model
    from upgradeflow.backfill.marker import BackfillMarker, published_marker
    from upgradeflow.models.checkpoint import save_model
    from upgradeflow.store.gallery import Gallery
    from upgradeflow.store.location import open_store

    store = str(tmp_path / "store")
    evolved = evolved_gallery(
        Gallery(open_store(store), "g"), image_dataset(tmp_path / "images.parquet"), make_adapter(tmp_path / "a")
    )
    model = save_model(tiny_model(2), tmp_path / "new.pt")
    small = save_model(tiny_model(2, dim=8), tmp_path / "small.pt")
    s = ["--store", store, "--data-dir", str(tmp_path), "--no-progress"]
    backfill = ["gallery", "backfill", "g", "--model", str(model)]

    status, out, _ = run(capsys, *backfill, "--shard", "0", *s)
    summary = json.loads(out)
    assert status == 0 and summary["from"] == evolved and summary["written"] == [0]
    assert (summary["fraction"], summary["order"], summary["committed"]) == (0.25, "worst-first", False)
    listing = run(capsys, "gallery", "list", "g", "--store", store)[1]
    assert "backfilled 25.0% (1/4 shards, worst-first order)" in listing
    gallery = Gallery(open_store(store), "g")
    assert published_marker(gallery) is None  # written, staged, searched by no one

    status, out, _ = run(capsys, "gallery", "publish-backfill", "g", summary["to"], "--store", store)
    assert status == 0 and json.loads(out)["shards_done"] == [0]
    assert published_marker(gallery) == BackfillMarker(evolved, summary["to"], (0,))
    broken = tiny_model(3)
    with torch.no_grad():
        next(broken.parameters()).fill_(float("nan"))
    nan_model = save_model(broken, tmp_path / "nan.pt")
    status, _, err = run(capsys, "gallery", "backfill", "g", "--model", str(nan_model), "--shard", "0", *s)
    assert status != 0 and len(err.strip().splitlines()) == 1
    assert published_marker(gallery) == BackfillMarker(evolved, summary["to"], (0,))  # a failed run moves nothing

    for args, message in [
        (["--order", "random"], "already planned in worst-first order"),
        (["--order", "best-first"], "unknown backfill ordering 'best-first'"),
        (["--shard", "4"], "no backfill shard 4 (it has 4)"),
    ]:
        status, _, err = run(capsys, *backfill, *args, *s)
        assert message in one_line_error(err, status)
    status, _, err = run(capsys, "gallery", "backfill", "g", "--model", str(small), *s)
    assert "embeds 8-d" in one_line_error(err, status)

    status, out, _ = run(capsys, *backfill, "--order", "worst-first", *s)
    summary = json.loads(out)
    assert status == 0 and summary["written"] == [1, 2, 3] and summary["fraction"] == 1.0
    assert run(capsys, "gallery", "commit", "g", summary["to"], "--store", store)[0] == 0

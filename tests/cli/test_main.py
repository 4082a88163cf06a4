"""Bad input through the real command line: one line on stderr, exit 2, no traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "upgradeflow.cli", *args], capture_output=True, text=True, cwd=cwd)


def assert_user_error(result: subprocess.CompletedProcess, fragment: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("upgradeflow: error:") and fragment in lines[0], lines[0]
    assert "Traceback" not in result.stderr


def main_user_error(capsys, *args: str) -> str:
    """Run the command line in-process; it must end with exit 2 (returned, or raised by
    the argument parser) and exactly one ``upgradeflow: error:`` line, which is returned
    for the caller's own checks."""
    from upgradeflow.cli.main import main

    capsys.readouterr()
    try:
        status = main(list(args))
    except SystemExit as exit_:
        status = exit_.code
    lines = capsys.readouterr().err.splitlines()
    assert status == 2 and len(lines) == 1 and lines[0].startswith("upgradeflow: error: "), (status, lines)
    return lines[0]


def embedding_table(path: Path, embeddings: np.ndarray, identities: np.ndarray) -> Path:
    dim = embeddings.shape[1]
    column = pa.FixedSizeListArray.from_arrays(pa.array(embeddings.ravel(), pa.float32()), dim)
    pq.write_table(
        pa.table(
            {
                "id": [f"r{i}" for i in range(len(embeddings))],
                "embedding": column,
                "identity": identities,
            }
        ),
        path,
    )
    return path


@pytest.fixture
def tables(tmp_path):
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(10), 4)
    gallery = rng.standard_normal((40, 8)).astype(np.float32)
    gallery /= np.linalg.norm(gallery, axis=1, keepdims=True)
    return {
        "gallery": embedding_table(tmp_path / "gallery.parquet", gallery, labels),
        "queries": embedding_table(tmp_path / "queries.parquet", gallery[::4] + 0.01, labels[::4]),
        "narrow": embedding_table(tmp_path / "narrow.parquet", gallery[:, :4], labels),
        "nan": embedding_table(
            tmp_path / "nan.parquet",
            np.where(np.eye(40, 8) > 0, np.nan, gallery).astype(np.float32),
            labels,
        ),
    }


def test_eval_embeddings_works(tables):
    result = run(
        "eval",
        "embeddings",
        "--queries",
        str(tables["queries"]),
        "--gallery",
        str(tables["gallery"]),
    )
    assert result.returncode == 0, result.stderr
    assert '"top1": 100.0' in result.stdout


def test_dimension_mismatch(tables):
    result = run(
        "eval",
        "embeddings",
        "--queries",
        str(tables["queries"]),
        "--gallery",
        str(tables["narrow"]),
    )
    assert_user_error(result, "dimension mismatch")


def test_nan_embeddings(tables):
    assert_user_error(
        run(
            "eval",
            "embeddings",
            "--queries",
            str(tables["nan"]),
            "--gallery",
            str(tables["gallery"]),
        ),
        "NaN",
    )


def test_wrong_schema_parquet(tmp_path, tables):
    path = tmp_path / "wrong.parquet"
    pq.write_table(pa.table({"id": ["a"], "vector": [[1.0, 2.0]]}), path)
    assert_user_error(
        run("eval", "embeddings", "--queries", str(path), "--gallery", str(tables["gallery"])),
        "missing column",
    )


def test_unreadable_parquet(tmp_path, tables):
    path = tmp_path / "junk.parquet"
    path.write_text("not parquet at all")
    assert_user_error(
        run("eval", "embeddings", "--queries", str(path), "--gallery", str(tables["gallery"])),
        "not a readable Parquet",
    )


def test_unknown_dataset(tmp_path):
    assert_user_error(
        run("bench", "compat", "--dataset", "imagenet", "--quick", "--data-dir", str(tmp_path)),
        "unknown dataset 'imagenet'",
    )


def test_unknown_method(tmp_path):
    assert_user_error(
        run("bench", "compat", "--methods", "old,magic", "--quick", "--data-dir", str(tmp_path)),
        "unknown method",
    )


def test_unknown_scenario(tmp_path):
    assert_user_error(
        run("bench", "compat", "--scenario", "easy", "--quick", "--data-dir", str(tmp_path)),
        "unknown scenario",
    )


def test_wrong_schema_image_parquet_as_dataset(tmp_path):
    path = tmp_path / "images.parquet"
    pq.write_table(pa.table({"id": ["a"], "identity": [1]}), path)
    result = run("bench", "compat", "--dataset", f"parquet:{path}", "--quick", "--data-dir", str(tmp_path))
    assert_user_error(result, "missing column 'image'")

"""Gallery, index and version names are checked before anything is read or written: a
name that could leave its folder (``../..``) is one line, exit 2, and the store and the
directories around it are left exactly as they were."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.cli.test_main import main_user_error
from tests.store.helpers import write_embeddings
from upgradeflow.store.gallery import Gallery
from upgradeflow.store.importer import import_tables
from upgradeflow.store.location import open_store

EVIL = "../../../../evil"


def everything(store_uri: str, tmp_path: Path) -> set[str]:
    """Every object in the store and every file around it (a local store lives in tmp_path)."""
    files = {str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file()}
    return files | {f"store:{key}" for key in open_store(store_uri).list("")}


@pytest.fixture
def store(store_uri, tmp_path) -> str:
    """Gallery ``g`` with ``v1`` live, and the rows it was imported from."""
    source = write_embeddings(tmp_path / "rows.parquet", 20)
    import_tables(Gallery(open_store(store_uri), "g"), source, version="v1", progress=False)
    return store_uri


def test_commit_of_a_traversing_version_writes_nothing_outside_the_store(capsys, tmp_path):
    """The probe's case: a staged version planted where ``versions/../../../../evil``
    lands (beside the store) was sealed there and made live before the name was refused."""
    store_dir = tmp_path / "store"
    gallery = Gallery(open_store(str(store_dir)), "g")
    source = write_embeddings(tmp_path / "rows.parquet", 20)
    import_tables(gallery, source, version="v1", progress=False)
    import_tables(gallery, source, version="v2", commit=False, progress=False)
    planted = store_dir / "galleries/g/versions" / EVIL
    shutil.copytree(store_dir / "galleries/g/versions/v2", planted)
    (planted / "manifest.json").unlink()
    before = everything(str(store_dir), tmp_path)

    error = main_user_error(capsys, "gallery", "commit", "g", EVIL, "--store", str(store_dir), "--no-progress")
    assert error == f"upgradeflow: error: version name '{EVIL}': use letters, digits, '.', '_' or '-' (at most 128)"
    assert everything(str(store_dir), tmp_path) == before and not (planted / "manifest.json").exists()
    assert gallery.pointer().current == "v1"


@pytest.mark.parametrize(
    "command",
    [
        ["gallery", "commit", "g", EVIL],
        ["gallery", "show", "g", "--version", EVIL],
        ["gallery", "import", "g", "--from", "{rows}", "--version", EVIL, "--no-progress"],
        ["gallery", "backfill", "g", "--model", "{rows}", "--from", EVIL],
        ["gallery", "list", EVIL],
        ["index", "build", "i", "--gallery", "g", "--version", EVIL, "--no-progress"],
        ["index", "build", "i", "--gallery", "g", "--gallery-version", EVIL, "--no-progress"],
        ["index", "build", EVIL, "--gallery", "g", "--no-progress"],
        ["index", "swap", "i", EVIL],
        ["index", "search", "i", "--queries", "{rows}", "--version", EVIL],
    ],
    ids=lambda command: "-".join(word for word in command[:2]) + ("-name" if command[2] == EVIL else ""),
)
def test_every_name_is_checked_before_anything_is_written(capsys, tmp_path, store, command):
    rows = str(tmp_path / "rows.parquet")
    before = everything(store, tmp_path)
    error = main_user_error(capsys, *[word.replace("{rows}", rows) for word in command], "--store", store)
    assert f"name '{EVIL}'" in error, error
    assert everything(store, tmp_path) == before

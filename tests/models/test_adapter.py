"""An adapter file that cannot be loaded is one line that names it, never a traceback."""

from __future__ import annotations

import pytest

from tests.cli.test_main import main_user_error
from tests.store.helpers import make_adapter, write_embeddings
from upgradeflow.cli.main import main
from upgradeflow.errors import UserInputError
from upgradeflow.models.adapter import load_adapter


def spoil(path, how: str) -> None:
    if how == "corrupt":
        path.write_bytes(b"not a torch file" * 8)
    elif how == "empty":
        path.write_bytes(b"")
    elif how == "list":
        path.with_suffix(".json").write_text("[1, 2]\n")
    elif how == "shapes":
        path.write_bytes(make_adapter(path.with_name("narrow.pt"), in_dim=8).read_bytes())


CASES = [
    ("corrupt", "is not a PyTorch file of tensors"),
    ("empty", "is empty or truncated"),
    ("list", "format missing (it holds a JSON list)"),
    ("shapes", "weights do not fit the config: size mismatch for net.0.weight"),
]


@pytest.mark.parametrize(("how", "message"), CASES)
def test_bad_adapter_files_are_user_errors(how, message, tmp_path):
    path = make_adapter(tmp_path / "forward.pt")
    spoil(path, how)
    with pytest.raises(UserInputError) as raised:
        load_adapter(path)
    text = str(raised.value)
    assert text.startswith(f"{path}: not an upgradeflow adapter (") and message in text and "\n" not in text


def test_a_good_adapter_still_loads(tmp_path):
    assert load_adapter(make_adapter(tmp_path / "forward.pt")).config.in_dim == 16


@pytest.mark.parametrize(("how", "message"), CASES)
def test_gallery_evolve_with_a_bad_adapter_is_one_line_and_exit_2(how, message, tmp_path, capsys):
    store = ["--store", str(tmp_path / "store")]
    assert main(["gallery", "import", "g", "--from", str(write_embeddings(tmp_path / "g.parquet", 20)), *store]) == 0
    path = make_adapter(tmp_path / "forward.pt")
    spoil(path, how)
    error = main_user_error(capsys, "gallery", "evolve", "g", "--adapter", str(path), "--no-progress", *store)
    assert error.startswith(f"upgradeflow: error: {path}: not an upgradeflow adapter") and message in error

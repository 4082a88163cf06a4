"""``upgradeflow encoder describe`` and ``encoder features``: an encoder loaded as a step
loads it, and features cached in the store on the first call, read on the second."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.cli.test_main import main_user_error
from tests.encoders.conftest import builtin_checkpoint, builtin_onnx, tiny_bert, tiny_sentence_transformer  # noqa: F401
from upgradeflow.cli.main import main


@pytest.fixture
def texts(tmp_path):
    table = pa.table({"id": ["a", "b", "c"], "identity": pa.array([0, 0, 1], pa.int64()), "text": ["x", "y", "z"]})
    pq.write_table(table, tmp_path / "texts.parquet")
    return tmp_path / "texts.parquet"


def test_describe_prints_what_a_gallery_is_checked_against(capsys, builtin_onnx):  # noqa: F811
    assert main(["encoder", "describe", f"onnx:{builtin_onnx}"]) == 0
    described = json.loads(capsys.readouterr().out)
    assert (described["kind"], described["modality"], described["dimension"]) == ("onnx", "image", 16)
    assert len(described["fingerprint"]) == 64


def test_features_are_encoded_once(capsys, tmp_path, texts, tiny_sentence_transformer):  # noqa: F811
    command = ["encoder", "features", "--encoder", f"sentence-transformers:{tiny_sentence_transformer}",
               "--data", str(texts), "--store", str(tmp_path / "store")]  # fmt: skip
    assert main(command) == 0
    first = json.loads(capsys.readouterr().out)
    assert main(command) == 0
    second = json.loads(capsys.readouterr().out)
    assert (first["rows"], first["reused_rows"], second["reused_rows"], second["dimension"]) == (3, 0, 3, 32)
    assert first["key"] == second["key"]


def test_a_missing_model_is_one_line(capsys, tmp_path, texts):
    error = main_user_error(capsys, "encoder", "features", "--encoder", f"sentence-transformers:{tmp_path}/nowhere",
                            "--data", str(texts), "--store", str(tmp_path / "store"))  # fmt: skip
    assert f"{tmp_path}/nowhere: no such model file or directory" in error


def test_text_given_to_an_image_encoder_is_one_line(capsys, tmp_path, texts, builtin_onnx):  # noqa: F811
    error = main_user_error(capsys, "encoder", "features", "--encoder", f"onnx:{builtin_onnx}",
                            "--data", str(texts), "--store", str(tmp_path / "store"))  # fmt: skip
    assert "texts.parquet holds text items, but" in error and "embeds images" in error
    assert not (tmp_path / "store").exists()


def test_an_onnx_model_with_another_input_name_is_one_line(capsys, builtin_onnx):  # noqa: F811
    error = main_user_error(capsys, "encoder", "describe", f"onnx:{builtin_onnx}?input=images")
    assert "has no input 'images' (its inputs: pixels)" in error


def test_a_missing_model_directory_is_one_line(capsys, tmp_path):
    error = main_user_error(capsys, "encoder", "describe", f"sentence-transformers:{tmp_path}/models/minilm")
    assert f"{tmp_path}/models/minilm: no such model file or directory" in error

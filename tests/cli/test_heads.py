"""``upgradeflow bench heads`` as a command: it writes its three files, and bad input is
refused in one line before any model is loaded."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq

from tests.bench.test_heads import text_items
from tests.cli.test_main import main_user_error
from tests.encoders.conftest import builtin_checkpoint, builtin_onnx, tiny_bert, tiny_sentence_transformer  # noqa: F401
from upgradeflow.cli.main import main


def test_writes_the_result_table_and_plot(capsys, tmp_path, tiny_sentence_transformer, tiny_bert):  # noqa: F811
    text_items(tmp_path / "texts.parquet", identities=20)
    out = tmp_path / "results" / "heads.json"
    status = main(["bench", "heads", "--old", f"sentence-transformers:{tiny_sentence_transformer}",
                   "--new", f"sentence-transformers:{tiny_bert}", "--data", str(tmp_path / "texts.parquet"),
                   "--methods", "independent,bct", "--seeds", "0", "--epochs", "1",
                   "--store", str(tmp_path / "store"), "--out", str(out)])  # fmt: skip
    assert status == 0
    result = json.loads(out.read_text())
    assert set(result["methods"]) == {"independent", "bct"} and result["arguments"]["epochs"] == 1
    assert out.with_suffix(".md").is_file() and out.with_suffix(".png").is_file()
    assert "| bct |" in capsys.readouterr().out


def test_data_without_identities_is_refused_before_loading_a_model(capsys, tmp_path):
    pq.write_table(pa.table({"id": ["a", "b"], "text": ["x", "y"]}), tmp_path / "texts.parquet")
    error = main_user_error(capsys, "bench", "heads", "--old", "onnx:/nowhere.onnx", "--new", "onnx:/nowhere.onnx",
                            "--data", str(tmp_path / "texts.parquet"), "--out", str(tmp_path / "h.json"))  # fmt: skip
    assert "has no 'identity' column; training a head and evaluating it needs one" in error


def test_text_given_to_image_encoders_is_one_line(capsys, tmp_path, builtin_onnx):  # noqa: F811
    text_items(tmp_path / "texts.parquet", identities=5)
    error = main_user_error(capsys, "bench", "heads", "--old", f"onnx:{builtin_onnx}", "--new", f"onnx:{builtin_onnx}",
                            "--data", str(tmp_path / "texts.parquet"), "--out", str(tmp_path / "h.json"))  # fmt: skip
    assert "holds text items, but" in error and not (tmp_path / "h.json").exists()


def test_an_unknown_method_is_one_line(capsys, tmp_path):
    text_items(tmp_path / "texts.parquet", identities=5)
    error = main_user_error(capsys, "bench", "heads", "--old", "onnx:/x.onnx", "--new", "onnx:/x.onnx",
                            "--data", str(tmp_path / "texts.parquet"), "--methods", "clip")  # fmt: skip
    assert "unknown method 'clip'" in error

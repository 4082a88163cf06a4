from __future__ import annotations

import pytest

from upgradeflow.encoders.spec import load_encoder, resolve_location
from upgradeflow.errors import UserInputError


def test_each_kind_loads_from_a_path(builtin_checkpoint, builtin_onnx, tiny_sentence_transformer):
    assert load_encoder(f"builtin:{builtin_checkpoint}").kind == "builtin"
    assert load_encoder(f"onnx:{builtin_onnx}?input=pixels").kind == "onnx"
    text = load_encoder(f"sentence-transformers:{tiny_sentence_transformer}?max_tokens=8")
    assert (text.kind, text.preprocessing["max_tokens"]) == ("sentence-transformers", 8)


def test_options_reach_the_encoder(builtin_onnx):
    encoder = load_encoder(f"onnx:{builtin_onnx}?mean=127&std=128")
    assert encoder.scale == (127.0, 128.0)


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        ("minilm", "expected KIND:LOCATION"),
        ("clip:/models/clip", "unknown encoder kind 'clip'"),
        ("onnx:/no/such/model.onnx", "/no/such/model.onnx: no such model file or directory"),
        ("sentence-transformers:package:no_such_package_here", "package 'no_such_package_here' is not installed"),
        ("builtin:package:pytest", "package 'pytest' holds 0 .pt files"),
    ],
)
def test_a_bad_reference_is_one_line(reference, message):
    with pytest.raises(UserInputError, match=message) as error:
        load_encoder(reference)
    assert "\n" not in str(error.value)


def test_bad_options_are_named_before_loading(builtin_onnx):
    with pytest.raises(UserInputError, match="unknown option\\(s\\) resolution for onnx"):
        load_encoder(f"onnx:{builtin_onnx}?resolution=96")
    with pytest.raises(UserInputError, match="size=big: must be a positive whole number"):
        load_encoder(f"onnx:{builtin_onnx}?size=big")
    with pytest.raises(UserInputError, match="std=x: must be a number"):
        load_encoder(f"onnx:{builtin_onnx}?std=x")
    with pytest.raises(UserInputError, match="std=0: pixels cannot be divided by zero"):
        load_encoder(f"onnx:{builtin_onnx}?std=0")
    with pytest.raises(UserInputError, match="options must be name=value"):
        load_encoder(f"onnx:{builtin_onnx}?input")


def test_a_file_inside_a_package_is_found():
    found = resolve_location("package:pytest/__init__.py", "")
    assert found.name == "__init__.py" and found.parent.name == "pytest"
    with pytest.raises(UserInputError, match=r"package 'pytest' holds no weights\.bin"):
        resolve_location("package:pytest/weights.bin", "")

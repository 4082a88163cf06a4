from __future__ import annotations

import shutil

import numpy as np

from tests.encoders.test_headed import TEXTS, head
from upgradeflow.encoders.onnx import OnnxEncoder
from upgradeflow.encoders.package import package_headed
from upgradeflow.encoders.spec import load_encoder
from upgradeflow.encoders.text import SentenceTransformerEncoder


def test_a_packaged_model_loads_from_anywhere_it_is_moved(tmp_path, tiny_sentence_transformer):
    reference = f"sentence-transformers:{tiny_sentence_transformer}"
    backbone = SentenceTransformerEncoder(tiny_sentence_transformer)
    description = package_headed(backbone, reference, head(), tmp_path / "built")
    packaged = load_encoder(f"headed:{description}")
    expected = packaged.encode(TEXTS)
    moved = shutil.move(tmp_path / "built", tmp_path / "elsewhere")
    reloaded = load_encoder(f"headed:{moved}/encoder.json")
    np.testing.assert_allclose(reloaded.encode(TEXTS), expected, atol=1e-6)
    assert reloaded.fingerprint == packaged.fingerprint
    assert reloaded.backbone.source.startswith(str(moved))


def test_a_tokenizer_from_elsewhere_travels_with_the_onnx_model(tmp_path, text_onnx, tiny_bert):
    apart = tmp_path / "model"
    apart.mkdir()
    shutil.copy(text_onnx, apart / "model.onnx")  # without its tokenizer beside it
    reference = f"onnx:{apart / 'model.onnx'}?tokenizer={tiny_bert / 'tokenizer.json'}&max_tokens=64"
    backbone = load_encoder(reference)
    description = package_headed(backbone, reference, head(), tmp_path / "built")
    shutil.rmtree(apart)
    assert str(tiny_bert) not in description.read_text()
    packaged = load_encoder(f"headed:{description}")
    assert isinstance(packaged.backbone, OnnxEncoder) and packaged.backbone.preprocessing["max_tokens"] == 64
    assert packaged.encode(TEXTS).shape == (3, 8)

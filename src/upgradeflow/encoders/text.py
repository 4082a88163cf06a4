"""A sentence-transformers (or plain Hugging Face) text model from a local directory.

sentence-transformers reads the directory's own pooling and normalisation modules, so a
model embeds here as it does in the team's notebooks. A directory without
``modules.json`` is a plain transformers model and gets mean pooling, the
sentence-transformers default. The hub is switched off before either library is
imported: a missing file fails instead of downloading.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from upgradeflow.encoders.base import Encoder, fingerprint, model_files
from upgradeflow.errors import UserInputError, one_line

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


class SentenceTransformerEncoder(Encoder):
    kind = "sentence-transformers"
    modality = "text"

    def __init__(self, directory: str | Path, max_tokens: int | None = None) -> None:
        path = Path(directory)
        if not (path / "config.json").is_file():
            raise UserInputError(f"{path}: not a text model directory (no config.json)")
        from sentence_transformers import SentenceTransformer

        logging.getLogger("sentence_transformers").setLevel(logging.ERROR)
        try:
            self.model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        except (OSError, ValueError, KeyError) as error:
            raise UserInputError(f"{path}: not a loadable text model ({one_line(error)})") from None
        if max_tokens is not None:
            self.model.max_seq_length = max_tokens
        self.dimension = int(self.model.get_embedding_dimension())
        self.source = str(path)
        self.preprocessing = {
            "tokenizer": "the directory's",
            "max_tokens": int(self.model.max_seq_length),
            "modules": [type(module).__name__ for module in self.model],
        }
        self.files = model_files(path)
        self.fingerprint = fingerprint(self.files, path, self.preprocessing)

    def _embed(self, items: Sequence) -> np.ndarray:
        texts = self.texts(items)
        return self.model.encode(texts, batch_size=len(texts), convert_to_numpy=True, show_progress_bar=False)

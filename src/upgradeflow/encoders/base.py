"""What every encoder promises, whatever runs underneath.

A step that evolves, backfills or serves a gallery needs to know, before it embeds a
single item, whether the encoder takes texts or images, how long its vectors are, and
whether it is byte-for-byte the model the gallery was built with. The fingerprint hashes
the weight files and the preprocessing, so two encoders with the same fingerprint give
the same vectors.
"""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np
from tqdm import tqdm

from upgradeflow.errors import UserInputError, check_choice

MODALITIES = ("text", "image")
HASH_CHUNK = 1 << 20


class Encoder(ABC):
    """Raw items (texts, or images of any size and channel count) to L2-normalised float32."""

    kind: str  # how it was loaded: "builtin", "sentence-transformers", "efficientnet-lite", "onnx"
    modality: str
    dimension: int
    source: str  # the path or package it was loaded from
    preprocessing: dict  # everything between a raw item and the network's input
    files: list[Path]  # the weight, config and tokenizer files its vectors depend on
    fingerprint: str

    def encode(self, items: Sequence) -> np.ndarray:
        """[len(items), dimension] float32, each row of unit length."""
        if len(items) == 0:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = np.asarray(self._embed(items), dtype=np.float32)
        if vectors.shape != (len(items), self.dimension):
            raise UserInputError(
                f"{self.source}: gave vectors of shape {vectors.shape} for {len(items)} items, "
                f"expected {self.dimension} dimensions"
            )
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.clip(norms, 1e-12, None)

    @abstractmethod
    def _embed(self, items: Sequence) -> np.ndarray:
        """Raw vectors, one row per item, not necessarily normalised."""

    def texts(self, items: Sequence) -> list[str]:
        """``items`` as texts; one line naming the first item that is not one."""
        wrong = next((item for item in items if not isinstance(item, str)), None)
        if wrong is not None:
            raise UserInputError(f"{self.source} embeds text, but an item is a {type(wrong).__name__}")
        return list(items)

    def describe(self) -> dict:
        """What a registry or a gallery records about the encoder."""
        return {
            "kind": self.kind,
            "modality": self.modality,
            "dimension": self.dimension,
            "source": self.source,
            "preprocessing": self.preprocessing,
            "fingerprint": self.fingerprint,
        }

    def check_dimension(self, dimension: int, what: str) -> None:
        if dimension != self.dimension:
            raise UserInputError(
                f"{self.source} gives {self.dimension}-d vectors, but {what} holds {dimension}-d vectors"
            )

    def check_modality(self, modality: str, what: str) -> None:
        check_choice("modality", modality, MODALITIES)
        if modality != self.modality:
            raise UserInputError(f"{what} holds {modality} items, but {self.source} embeds {self.modality}s")


def embed_stream(
    encoder: Encoder, items: Iterable, batch_size: int = 64, total: int | None = None, desc: str = "embedding"
) -> Iterator[np.ndarray]:
    """Embed ``items`` a batch at a time, so a collection never has to fit in memory."""
    if batch_size < 1:
        raise UserInputError(f"batch size {batch_size}: must be at least 1")
    batch: list = []
    with tqdm(total=total, desc=desc, unit="item", mininterval=5) as bar:
        for item in items:
            batch.append(item)
            if len(batch) == batch_size:
                yield encoder.encode(batch)
                bar.update(len(batch))
                batch = []
        if batch:
            yield encoder.encode(batch)
            bar.update(len(batch))


def fingerprint(files: Iterable[Path], root: Path, settings: dict) -> str:
    """sha256 over the files' names (paths relative to ``root`` where they lie under it),
    their bytes, and the settings."""
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True).encode())
    for path in sorted(files):
        name = path.relative_to(root) if path.is_relative_to(root) else path.name
        digest.update(str(name).encode() + b"\0")
        with path.open("rb") as handle:
            while chunk := handle.read(HASH_CHUNK):
                digest.update(chunk)
    return digest.hexdigest()


def model_files(path: Path) -> list[Path]:
    """The files a model directory's vectors depend on (not its README or licence)."""
    if path.is_file():
        return [path]
    skipped = {"readme.md", "license", "license.txt", "notice"}
    return [p for p in path.rglob("*") if p.is_file() and p.name.lower() not in skipped]

"""Bring-your-own-embeddings case on another dataset and another model pair:
Fashion-MNIST photos, old model = PCA of raw pixels (a classic descriptor), new model =
a small CNN trained on the training photos. Neither model knows the other; the pairs
file is all the adapters see. The models are fitted on one part of the training photos
and the pairs' ``train`` rows drawn from another, as in a real upgrade, where the items
a platform pairs are not the photos either model was trained on: adapters chosen on
held-out pairs of photos a model memorised would be chosen for the wrong rows.

    python benchmarks/pairs_fashion_mnist.py [--train-rows 20000] [--model-rows 20000] [--epochs 2] [--build-only]

Writes the pairs file under data/pairs/, then ``benchmarks/results/pairs-fashion-mnist.json``
and ``.md`` through the same code as ``upgradeflow bench pairs``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from upgradeflow.data.fashion_mnist import read_fashion_mnist
from upgradeflow.data.paired_embeddings import PairedPart, write_pairs
from upgradeflow.models.config import ModelConfig
from upgradeflow.models.embedder import EmbeddingModel
from upgradeflow.models.inference import embed_images
from upgradeflow.training.loop import TrainConfig, train_embedding

DIMENSION = 128


def pca_model(train_images: np.ndarray, dimension: int):
    """The old model: a projection of centred pixels onto their top principal axes."""
    pixels = train_images.reshape(len(train_images), -1).astype(np.float32) / 255
    mean = pixels.mean(0)
    _, _, axes = np.linalg.svd(pixels - mean, full_matrices=False)

    def embed(images: np.ndarray) -> np.ndarray:
        x = (images.reshape(len(images), -1).astype(np.float32) / 255 - mean) @ axes[:dimension].T
        return x / np.linalg.norm(x, axis=1, keepdims=True)

    return embed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train-rows", type=int, default=20_000, help="pairs' train rows")
    parser.add_argument("--model-rows", type=int, default=20_000, help="other training photos the models fit on")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--pairs", type=Path, default=Path("data/pairs/fashion-mnist-pca-cnn.parquet"))
    parser.add_argument("--build-only", action="store_true", help="write the pairs file and stop")
    args = parser.parse_args()

    data = read_fashion_mnist()
    photos = np.random.default_rng(0).permutation(np.flatnonzero(data.split == "train"))
    if args.train_rows + args.model_rows > len(photos):
        raise SystemExit(f"--train-rows + --model-rows must not exceed the {len(photos)} training photos")
    model_rows, train_rows = np.sort(photos[: args.model_rows]), np.sort(photos[-args.train_rows :])
    rows = {"train": train_rows, "query": np.flatnonzero(data.role == "query"),
            "gallery": np.flatnonzero(data.role == "gallery")}  # fmt: skip
    old = pca_model(data.images[model_rows], DIMENSION)
    config = ModelConfig(width=32, depth=4, embedding_dim=DIMENSION, image_size=28)
    new = train_embedding(
        EmbeddingModel(config), data.images[model_rows], data.identities[model_rows], 10,
        TrainConfig(epochs=args.epochs, seed=0), desc="new model (CNN)",
    ).model  # fmt: skip
    parts = {
        role: PairedPart(old(data.images[r]), embed_images(new, data.images[r]), data.identities[r])
        for role, r in rows.items()
    }
    write_pairs(args.pairs, parts, {role: data.ids[r] for role, r in rows.items()})
    if not args.build_only:
        sys.path.insert(0, str(Path(__file__).parent))
        from pairs_case import record_case

        record_case(args.pairs, "fashion-mnist")


if __name__ == "__main__":
    main()

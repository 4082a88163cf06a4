"""Exact inner-product search with FAISS: the retrieval a user of the gallery sees."""

from __future__ import annotations

import faiss
import numpy as np

from upgradeflow.evaluation.validation import check_embeddings


def build_flat_index(gallery: np.ndarray) -> faiss.IndexFlatIP:
    index = faiss.IndexFlatIP(gallery.shape[1])
    index.add(np.ascontiguousarray(gallery, dtype=np.float32))
    return index


def search(queries: np.ndarray, gallery: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Top-``k`` (scores, gallery positions) per query; ``k`` larger than the gallery
    returns the whole gallery, ranked."""
    if k <= 0:
        raise ValueError(f"k must be positive, got {k}")
    queries, gallery = check_embeddings(queries, gallery)
    return build_flat_index(gallery).search(queries, min(k, len(gallery)))

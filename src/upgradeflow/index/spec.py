"""Which FAISS index a shard gets, and its knobs (inner product throughout).

Flat is exact and the default. IVF and HNSW trade recall for speed; their build and
search parameters live in the index manifest so a loaded index searches the way it
was measured.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import faiss
import numpy as np

from upgradeflow.errors import UserInputError, check_choice

KINDS = ("flat", "ivf", "hnsw")


@dataclass(frozen=True)
class IndexSpec:
    kind: str = "flat"
    nlist: int = 0  # IVF cells; 0 picks 4 * sqrt(rows), capped so each cell trains on 39+ rows
    nprobe: int = 16  # IVF cells searched per query
    hnsw_m: int = 32  # HNSW links per node
    ef_construction: int = 80
    ef_search: int = 64

    def __post_init__(self) -> None:
        check_choice("index kind", self.kind, KINDS)
        if min(self.nprobe, self.hnsw_m, self.ef_construction, self.ef_search) < 1 or self.nlist < 0:
            raise UserInputError(f"index parameters must be positive: {self}")

    def to_dict(self) -> dict:
        return asdict(self)

    def build(self, vectors: np.ndarray) -> faiss.Index:
        rows, dimension = vectors.shape
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if self.kind == "flat":
            index = faiss.IndexFlatIP(dimension)
        elif self.kind == "hnsw":
            index = faiss.IndexHNSWFlat(dimension, self.hnsw_m, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = self.ef_construction
        else:
            nlist = self.nlist or max(1, min(int(4 * math.sqrt(rows)), rows // 39))
            if rows < nlist:
                raise UserInputError(f"IVF with {nlist} cells needs at least {nlist} rows per shard, got {rows}")
            index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dimension), dimension, nlist, faiss.METRIC_INNER_PRODUCT)
            index.train(vectors)
        index.add(vectors)
        self.configure(index)
        return index

    def search_parameters(self, selector: faiss.IDSelector) -> faiss.SearchParameters:
        """Parameters restricting a search to ``selector``'s rows with this spec's knobs
        (FAISS takes nprobe and efSearch from the parameters, not the index, once given)."""
        if self.kind == "ivf":
            return faiss.SearchParametersIVF(sel=selector, nprobe=self.nprobe)
        if self.kind == "hnsw":
            return faiss.SearchParametersHNSW(sel=selector, efSearch=self.ef_search)
        return faiss.SearchParameters(sel=selector)

    def configure(self, index: faiss.Index) -> None:
        """Apply the search-time parameters (they are not serialised by FAISS)."""
        if self.kind == "ivf":
            faiss.extract_index_ivf(index).nprobe = self.nprobe
        elif self.kind == "hnsw":
            index.hnsw.efSearch = self.ef_search

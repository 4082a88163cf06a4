"""A text retrieval dataset from WordNet: every synset is an identity, and its lemma
string, its definition and its example sentences are its items.

Searching with one of them for the others is what a text-search upgrade has to keep
working: a name should find its definition and its usage, a sentence its paraphrases.
Only synsets with at least one example sentence are kept (three items or more, so a
held-out synset yields both queries and gallery items), and only those whose every text
appears in no other synset, so no item stands for two identities.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from upgradeflow.atomic import atomic_path
from upgradeflow.data.wordnet import DEFAULT_DIR, Synset, read_wordnet
from upgradeflow.errors import UserInputError


def texts_of(synset: Synset) -> list[tuple[str, str]]:
    """(kind, text) of every item of a synset."""
    return [("lemmas", synset.lemmas), ("gloss", synset.gloss)] + [("example", e) for e in synset.examples]


def wordnet_items(synsets: list[Synset], count: int, seed: int = 0) -> pa.Table:
    """``id``, ``identity``, ``text`` and ``kind`` of ``count`` synsets drawn (seeded)
    among the usable ones, in WordNet's order."""
    seen = Counter(text.casefold() for synset in synsets for _, text in texts_of(synset))
    usable = [s for s in synsets if s.examples and all(seen[t.casefold()] == 1 for _, t in texts_of(s))]
    if count > len(usable):
        raise UserInputError(f"--synsets {count}: WordNet has {len(usable)} synsets usable as identities")
    chosen = np.sort(np.random.default_rng(seed).choice(len(usable), count, replace=False))
    rows = [(f"{s.key}/{kind}{i}", s.identity, text, kind)
            for s in (usable[c] for c in chosen) for i, (kind, text) in enumerate(texts_of(s))]  # fmt: skip
    ids, identities, texts, kinds = zip(*rows, strict=True)
    return pa.table({"id": ids, "identity": pa.array(identities, pa.int64()), "text": texts, "kind": kinds})


def write_wordnet_items(out: str | Path, count: int, seed: int = 0, directory: str | Path = DEFAULT_DIR) -> pa.Table:
    table = wordnet_items(read_wordnet(directory), count, seed)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(out) as tmp:
        pq.write_table(table, tmp)
    return table

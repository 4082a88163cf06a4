"""Synsets from Debian's WordNet 3.0 database (package ``wordnet-base``).

WordNet gives text with identities for free: every synset has its words (a short name),
a definition and often example sentences, all describing one concept. That is the
"sentence and its paraphrase" shape a text paired-embedding case needs, without any data
set download.

Only the ``data.<pos>`` files are read (the format of ``wndb(5)``); pointers, verb frames
and the index files are skipped, since nothing here walks the graph.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from upgradeflow.errors import UserInputError

DEFAULT_DIR = Path("/usr/share/wordnet")

# The data files in a fixed order, each with the code that keeps identities from different
# files apart: synset offsets are byte offsets, unique within one file only.
DATA_FILES = (("noun", 1), ("verb", 2), ("adj", 3), ("adv", 4))
_IDENTITY_BASE = 100_000_000  # offsets have eight decimal digits

# Adjectives may carry a syntactic marker glued to the word: "galore(ip)", "elect(p)".
_ADJECTIVE_MARKER = re.compile(r"\((?:a|p|ip)\)$")


@dataclass(frozen=True)
class Synset:
    """One WordNet synset, as text.

    ``identity`` is ``file code * 10**8 + offset`` (noun 1, verb 2, adj 3, adv 4): stable
    across runs and machines for one WordNet release, and an int64 as a pairs file wants.
    ``key`` is the synset type letter (``n``, ``v``, ``a``, ``s``, ``r``) and the eight-digit
    offset, the spelling ImageNet uses for its classes (``n02084071`` is "dog").
    """

    identity: int
    key: str
    words: tuple[str, ...]
    gloss: str
    examples: tuple[str, ...]

    @property
    def lemmas(self) -> str:
        """The synset's words as one string: "dog, domestic dog, Canis familiaris"."""
        return ", ".join(self.words)


def read_wordnet(directory: str | Path = DEFAULT_DIR) -> list[Synset]:
    """Every synset of the four data files, in file order (nouns, verbs, adjectives, adverbs).

    A missing directory or data file is a one-line ``UserInputError`` naming the Debian
    package, since that is the only way the files get there.
    """
    directory = Path(directory)
    paths = [(directory / f"data.{name}", code) for name, code in DATA_FILES]
    for path, _ in paths:
        if not path.is_file():
            raise UserInputError(
                f"{path}: WordNet database not found (install Debian's wordnet-base: apt-get install wordnet-base)"
            )
    return [synset for path, code in paths for synset in _read_data_file(path, code)]


def _read_data_file(path: Path, code: int) -> Iterator[Synset]:
    """The synsets of one ``data.<pos>`` file; the license header's lines start with two spaces."""
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if not line.startswith("  "):
                yield parse_data_line(line, code)


def parse_data_line(line: str, code: int) -> Synset:
    """One data line: ``offset lex_filenum ss_type w_cnt word lex_id ... | gloss``.

    ``w_cnt`` is two hexadecimal digits; each word is followed by its ``lex_id``. Everything
    after the words up to `` | `` (pointers, verb frames) is ignored.
    """
    fields, _, gloss = line.partition(" | ")
    parts = fields.split()
    offset, ss_type, count = int(parts[0]), parts[2], int(parts[3], 16)
    words = tuple(_ADJECTIVE_MARKER.sub("", word).replace("_", " ") for word in parts[4 : 4 + 2 * count : 2])
    definition, examples = split_gloss(gloss)
    return Synset(code * _IDENTITY_BASE + offset, f"{ss_type}{offset:08d}", words, definition, examples)


def split_gloss(gloss: str) -> tuple[str, tuple[str, ...]]:
    """The definition and the example sentences of a gloss.

    A gloss is usually ``definition; "example"; "example"``, but 3.0 is hand-written:
    quotes also mark a phrase inside the definition's parentheses ("(especially in the
    phrase "make strides")"), examples follow a colon or a comma, an attribution trails
    the closing quote (``"..."- Henry Miller``) and a few quotes are unbalanced. So: an
    example is a quoted span outside parentheses; the definition is the text before the
    first one, without trailing separators; attributions and unpaired quotes are dropped.
    """
    gloss = gloss.strip()
    examples: list[str] = []
    definition_end = len(gloss)
    depth = position = 0
    while position < len(gloss):
        char = gloss[position]
        if char == "(":
            depth += 1
        elif char == ")":
            depth = max(depth - 1, 0)
        elif char == '"' and depth == 0:
            close = gloss.find('"', position + 1)
            if close < 0:  # an unpaired quote: nothing after it is a sentence we can trust
                definition_end = min(definition_end, position)
                break
            definition_end = min(definition_end, position)
            if example := gloss[position + 1 : close].strip():
                examples.append(example)
            position = close
        position += 1
    return gloss[:definition_end].rstrip(" ;:,"), tuple(examples)

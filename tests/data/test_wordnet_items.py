from __future__ import annotations

import pytest

from upgradeflow.data.items import read_items
from upgradeflow.data.wordnet import Synset
from upgradeflow.data.wordnet_items import wordnet_items, write_wordnet_items
from upgradeflow.errors import UserInputError


def synset(identity: int, words: tuple[str, ...], gloss: str, examples: tuple[str, ...]) -> Synset:
    return Synset(identity, f"n{identity:08d}", words, gloss, examples)


SYNSETS = [
    synset(1, ("dog", "domestic dog"), "a domesticated canid", ("the dog barked",)),
    synset(2, ("cat",), "a small feline", ("the cat slept", "cats purr")),
    synset(3, ("bank",), "a financial institution", ()),  # no example: too few items
    synset(4, ("bank", "side"), "sloping land", ("the river bank",)),  # its lemma string is its own
    synset(5, ("run",), "a small feline", ("he runs",)),  # shares a gloss with 2: neither is kept
    synset(6, ("sun",), "the star", ("the sun rose", "a hot sun")),
]


def test_every_text_of_a_usable_synset_is_an_item():
    table = wordnet_items(SYNSETS, 3)
    rows = list(zip(table.column("identity").to_pylist(), table.column("kind").to_pylist(), strict=True))
    assert sorted(set(table.column("identity").to_pylist())) == [1, 4, 6]
    assert rows.count((6, "example")) == 2 and (1, "lemmas") in rows and (1, "gloss") in rows
    assert "a domesticated canid" in table.column("text").to_pylist()


def test_asking_for_more_synsets_than_usable_is_one_line():
    with pytest.raises(UserInputError, match="--synsets 4: WordNet has 3 synsets usable"):
        wordnet_items(SYNSETS, 4)


def test_the_written_file_reads_as_a_text_item_set(tmp_path):
    (tmp_path / "wn").mkdir()
    lines = {
        "noun": '00000001 05 n 01 dog 0 000 | a domesticated canid; "the dog barked"\n'
        '00000002 05 n 01 cat 0 000 | a small feline; "the cat slept"\n',
    }
    for name in ("noun", "verb", "adj", "adv"):
        (tmp_path / "wn" / f"data.{name}").write_text(lines.get(name, ""))
    write_wordnet_items(tmp_path / "items.parquet", 2, directory=tmp_path / "wn")
    items = read_items(tmp_path / "items.parquet")
    assert (items.modality, len(items), len(set(items.identities))) == ("text", 6, 2)

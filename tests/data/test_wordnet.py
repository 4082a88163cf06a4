"""The WordNet reader against Debian's wordnet-base files: words, definition and examples
come out exactly, and a missing database is refused in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from upgradeflow.data.wordnet import DEFAULT_DIR, Synset, read_wordnet, split_gloss
from upgradeflow.errors import UserInputError

needs_wordnet = pytest.mark.skipif(
    not (DEFAULT_DIR / "data.noun").exists(), reason="wordnet-base not installed (apt-get install wordnet-base)"
)


@pytest.fixture(scope="module")
def synsets() -> dict[str, Synset]:
    return {synset.key: synset for synset in read_wordnet()}


@needs_wordnet
def test_every_synset_is_read_once(synsets):
    assert len(synsets) == 117_659  # WordNet 3.0: 82,115 nouns, 13,767 verbs, 18,156 adjectives, 3,621 adverbs
    assert len({synset.identity for synset in synsets.values()}) == len(synsets)


@needs_wordnet
def test_dog(synsets):
    dog = synsets["n02084071"]
    assert dog.identity == 102_084_071
    assert dog.lemmas == "dog, domestic dog, Canis familiaris"
    assert dog.gloss == (
        "a member of the genus Canis (probably descended from the common wolf) that has been domesticated"
        " by man since prehistoric times; occurs in many breeds"
    )
    assert dog.examples == ("the dog barked all night",)


@needs_wordnet
def test_verb_with_frames_and_several_examples(synsets):
    melt = synsets["v00444629"]
    assert melt.identity == 200_444_629
    assert melt.lemmas == "melt, run, melt down"
    assert melt.gloss == "reduce or cause to be reduced from a solid to a liquid state, usually by heating"
    assert melt.examples == ("melt butter", "melt down gold", "The wax melted in the sun")


@needs_wordnet
def test_adjective_satellite_loses_its_syntactic_marker(synsets):
    galore = synsets["s00014358"]  # "galore(ip)" in data.adj
    assert galore.identity == 300_014_358
    assert galore.lemmas == "abounding, galore"
    assert galore.gloss == "existing in abundance"
    assert galore.examples == ("abounding confidence", "whiskey galore")


@needs_wordnet
def test_quotes_inside_parentheses_stay_in_the_definition(synsets):
    stride = synsets["n00249987"]
    assert stride.gloss == 'significant progress (especially in the phrase "make strides")'
    assert stride.examples == ("they made big strides in productivity",)


def test_attribution_and_unpaired_quote_are_dropped():
    gloss = 'a change; "the permutations...taking place"- Henry Miller; "fine" and then "unpaired  '
    assert split_gloss(gloss) == ("a change", ("the permutations...taking place", "fine"))
    assert split_gloss("nearly opposite to the wind  ") == ("nearly opposite to the wind", ())


def test_missing_directory_is_one_line(tmp_path: Path):
    missing = tmp_path / "wordnet"
    with pytest.raises(UserInputError) as error:
        read_wordnet(missing)
    message = str(error.value)
    assert "\n" not in message
    assert str(missing / "data.noun") in message
    assert "apt-get install wordnet-base" in message

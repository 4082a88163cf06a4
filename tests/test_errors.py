import pytest

from upgradeflow.errors import UserInputError, check_choice


def test_a_known_choice_passes_through():
    assert check_choice("scenario", "hard", ("default", "hard")) == "hard"


def test_an_unknown_choice_is_refused_in_one_line_listing_the_choices():
    with pytest.raises(UserInputError) as refused:
        check_choice("scenario", "easy", iter(("default", "hard")))
    assert str(refused.value) == "unknown scenario 'easy' (choose from: default, hard)"

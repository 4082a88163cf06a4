import pytest

from upgradeflow.errors import UserInputError
from upgradeflow.upgrade.spec import UpgradeSpec


def test_dmu_is_the_default_method():
    assert UpgradeSpec().method == "dmu"
    assert UpgradeSpec().dmu_config().weighting == "posterior"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"method": "fct"}, "unknown method 'fct'"),
        ({"weighting": "confidence"}, "unknown weighting 'confidence'"),
        ({"widths": (0.25, 0.5)}, "strictly descending"),
        ({"widths": (1.0, 1.2)}, r"in \(0, 1\]"),
    ],
)
def test_bad_specs_are_rejected_before_training(changes, message):
    with pytest.raises(UserInputError, match=message):
        UpgradeSpec(**changes)


def test_width_checkpoint_names_keep_their_width():
    from upgradeflow.registry.model_package import width_file

    names = {width_file(w) for w in (1.0, 0.75, 0.5, 0.25)}
    assert len(names) == 4 and not any("." in n for n in names)

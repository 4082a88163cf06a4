from pathlib import Path

import pytest

from upgradeflow.data.fonts import Face, find_faces, glyph_font_packages
from upgradeflow.errors import UserInputError


@pytest.mark.parametrize(
    ("name", "proportional"),
    [
        ("IPAPGothic", True),
        ("VL PGothic Regular", True),
        ("BIZ UDPMincho", True),
        ("Ume P Gothic C4", True),
        ("kiloji - P", True),
        ("Komatuna P", True),
        ("IPAGothic", False),
        ("AR PL UMing TW", False),
        ("WenQuanYi Zen Hei Mono", False),
        ("UmePlus Gothic", False),
    ],
)
def test_proportional_variants_are_recognised(name, proportional):
    assert Face("pkg", Path("x.ttf"), 0, name).is_proportional is proportional


def test_missing_packages_are_named_with_the_install_command(tmp_path):
    (tmp_path / "fonts-present.list").write_text("/nonexistent/font.ttf\n")
    with pytest.raises(UserInputError) as error:
        find_faces(["fonts-present", "fonts-absent"], dpkg_info=tmp_path)
    message = str(error.value)
    assert "fonts-absent" in message and "apt-get install" in message
    assert "\n" not in message


def test_package_list_matches_the_design():
    packages = glyph_font_packages()
    assert len(packages) == 32 and "fonts-ipafont-gothic" in packages and "fonts-arphic-gbsn00lp" in packages

"""The glyph build from the real Debian fonts: determinism, cleaning, schema, atomicity."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from PIL import Image

from tests.conftest import needs_fonts
from upgradeflow.data.glyphs import (
    CARD_NAME,
    PARQUET_NAME,
    GlyphConfig,
    build_glyphs,
    existing_build,
)
from upgradeflow.data.image_parquet import read_image_parquet
from upgradeflow.errors import UserInputError

pytestmark = [pytest.mark.fonts, needs_fonts]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_build_is_byte_identical_and_checksummed(small_glyphs, tmp_path):
    card = build_glyphs(tmp_path, GlyphConfig(max_identities=60), progress=False)
    assert sha256(tmp_path / PARQUET_NAME) == sha256(small_glyphs / PARQUET_NAME) == card["sha256"]
    assert existing_build(tmp_path, GlyphConfig(max_identities=60)) == card
    assert existing_build(tmp_path, GlyphConfig(max_identities=60, seed=1)) is None


def test_another_seed_changes_the_output(small_glyphs, tmp_path):
    card = build_glyphs(tmp_path, GlyphConfig(max_identities=60, seed=1), progress=False)
    assert card["sha256"] != json.loads((small_glyphs / CARD_NAME).read_text())["sha256"]


def test_schema_and_cleaning(small_glyphs):
    table = pq.read_table(small_glyphs / PARQUET_NAME)
    assert table.schema.names == ["id", "identity", "face", "image", "split", "role"]
    card = json.loads((small_glyphs / CARD_NAME).read_text())
    assert card["counts"]["identities"] == 60 and card["counts"]["images"] == table.num_rows
    assert not any(name.startswith(("ipagp", "ipamp", "VL-PGothic")) for name in card["faces"])
    assert all("proportional" in why or "render" in why or "covers" in why for why in card["dropped_faces"].values())

    images = [np.asarray(Image.open(io.BytesIO(b))) for b in table.column("image").to_pylist()]
    assert all(image.shape == (32, 32) and image.dtype == np.uint8 for image in images)
    assert all((image > 127).sum() >= 4 for image in images)  # no blank rendering
    identities = np.asarray(table.column("identity"))
    for identity in np.unique(identities):
        digests = [hashlib.sha256(images[i].tobytes()).digest() for i in np.flatnonzero(identities == identity)]
        assert len(digests) == len(set(digests))  # no exact duplicate within an identity
    assert len(set(table.column("id").to_pylist())) == table.num_rows


def test_loads_as_an_open_set(small_glyphs):
    data = read_image_parquet(small_glyphs / PARQUET_NAME, progress=False)
    assert not set(data.identities[data.split == "train"]) & set(data.identities[data.split == "test"])
    assert set(data.role[data.split == "test"]) == {"query", "gallery"}


def test_missing_font_package_leaves_nothing_behind(tmp_path):
    out = tmp_path / "glyphs"
    with pytest.raises(UserInputError, match="fonts-not-a-real-package"):
        build_glyphs(
            out,
            GlyphConfig(packages=("fonts-ipafont-gothic", "fonts-not-a-real-package")),
            progress=False,
        )
    assert not out.exists() or not any(out.iterdir())


@pytest.mark.slow
def test_full_build_through_the_command_line(full_glyphs_dir):
    from upgradeflow.cli.main import main

    tmp_path = full_glyphs_dir / "glyphs"
    card = json.loads((tmp_path / CARD_NAME).read_text())
    counts = card["counts"]
    assert counts["identities"] > 2000 and counts["images"] > 70000
    assert 25 <= counts["images_per_identity"]["mean"] <= 45
    assert counts["train_identities"] + counts["test_identities"] == counts["identities"]
    assert sha256(tmp_path / PARQUET_NAME) == card["sha256"]
    # A second run finds the finished build and leaves it as it is.
    before = (tmp_path / PARQUET_NAME).stat().st_mtime_ns
    assert main(["data", "glyphs", "--out", str(tmp_path), "--no-progress"]) == 0
    assert (tmp_path / PARQUET_NAME).stat().st_mtime_ns == before

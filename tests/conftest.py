"""Shared fixtures: one small glyph build per session (fonts from Debian packages)."""

from __future__ import annotations

from pathlib import Path

import pytest

from upgradeflow.data.fonts import glyph_font_packages

FONT_LIST = Path("/var/lib/dpkg/info")


def fonts_installed() -> bool:
    return all((FONT_LIST / f"{p}.list").exists() for p in glyph_font_packages())


needs_fonts = pytest.mark.skipif(
    not fonts_installed(),
    reason="glyph font packages not installed (scripts/setup.sh installs them)",
)


@pytest.fixture(scope="session")
def small_glyphs(tmp_path_factory) -> Path:
    """A 60-identity glyph build (a seeded subset of the full benchmark)."""
    from upgradeflow.data.glyphs import GlyphConfig, build_glyphs

    out = tmp_path_factory.mktemp("glyphs-small")
    build_glyphs(out, GlyphConfig(max_identities=60), progress=False)
    return out


@pytest.fixture(scope="session")
def full_glyphs_dir(tmp_path_factory) -> Path:
    """A data directory holding the full glyph benchmark, built through the command line."""
    from upgradeflow.cli import main

    data_dir = tmp_path_factory.mktemp("data")
    assert main(["data", "glyphs", "--out", str(data_dir / "glyphs"), "--no-progress"]) == 0
    return data_dir

"""The CJK typefaces of the glyph benchmark, found through Debian's package database.

Faces are read from the files each package installed (``/var/lib/dpkg/info/*.list``), so
the benchmark depends on package names, not on where a distribution puts font files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from fontTools.ttLib import TTCollection, TTFont

from upgradeflow.errors import UserInputError

DPKG_INFO = Path("/var/lib/dpkg/info")
FONT_SUFFIXES = (".ttf", ".otf", ".ttc")
CJK_BLOCK = (0x4E00, 0x9FFF)

# "IPAPGothic", "VL PGothic", "BIZ UDPMincho", "Ume P Gothic", "Komatuna P", "kiloji - P":
# proportional siblings of a fixed-pitch face, with the same ideographs.
PROPORTIONAL_NAME = re.compile(r"P(?=Gothic|Mincho)|(?<![A-Za-z])P(?![A-Za-z])")


@dataclass(frozen=True)
class Face:
    """One typeface: a font file, its index inside a collection, and its name."""

    package: str
    path: Path
    index: int
    name: str

    @property
    def key(self) -> str:
        stem = self.path.stem
        return stem if self.index == 0 else f"{stem}#{self.index}"

    @property
    def is_proportional(self) -> bool:
        return bool(PROPORTIONAL_NAME.search(self.name))


def glyph_font_packages() -> list[str]:
    text = resources.files("upgradeflow.data").joinpath("glyph_fonts.txt").read_text()
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def _installed_files(package: str, dpkg_info: Path) -> list[Path] | None:
    listing = dpkg_info / f"{package}.list"
    if not listing.exists():
        return None
    return [Path(line) for line in listing.read_text().splitlines() if line]


def find_faces(packages: list[str], dpkg_info: Path = DPKG_INFO) -> list[Face]:
    """Every face in the given packages, in a fixed order (package, path, index).

    Raises ``UserInputError`` naming every missing package, so one ``apt-get install``
    fixes them all.
    """
    missing: list[str] = []
    faces: list[Face] = []
    for package in packages:
        files = _installed_files(package, dpkg_info)
        font_files = sorted(p for p in files or [] if p.suffix.lower() in FONT_SUFFIXES and p.exists())
        if not font_files:
            missing.append(package)
            continue
        for path in font_files:
            fonts = TTCollection(path, lazy=True).fonts if path.suffix.lower() == ".ttc" else [TTFont(path, lazy=True)]
            for index, font in enumerate(fonts):
                faces.append(Face(package, path, index, font["name"].getDebugName(4) or path.stem))
    if missing:
        raise UserInputError(
            f"missing font packages for the glyph benchmark: {' '.join(missing)} "
            f"(install with: apt-get install {' '.join(missing)})"
        )
    return faces


def block_coverage(face: Face, block: tuple[int, int] = CJK_BLOCK) -> frozenset[int]:
    """Code points of ``block`` that the face maps to a glyph."""
    lo, hi = block
    if face.path.suffix.lower() == ".ttc":
        font = TTCollection(face.path, lazy=True).fonts[face.index]
    else:
        font = TTFont(face.path, lazy=True)
    cmap = font.getBestCmap() or {}
    return frozenset(cp for cp in cmap if lo <= cp <= hi)

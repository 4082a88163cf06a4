"""The glyph benchmark: CJK characters (identities) rendered in many typefaces (samples).

Real typefaces give real intra-class variation (gothic, mincho, brush, kaishu) with no
download: the fonts come from Debian packages. The build is deterministic, so the same
fonts and seed give a byte-identical Parquet file, whose checksum the card records.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from PIL import Image, ImageDraw, ImageFont, features
from tqdm import tqdm

from upgradeflow.atomic import atomic_path, write_text_atomic
from upgradeflow.data.fonts import Face, block_coverage, find_faces, glyph_font_packages
from upgradeflow.data.splits import assign_split_and_roles

PARQUET_NAME = "glyphs.parquet"
CARD_NAME = "glyphs.json"
SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("identity", pa.int64()),
        ("face", pa.string()),
        ("image", pa.binary()),
        ("split", pa.string()),
        ("role", pa.string()),
    ]
)


@dataclass(frozen=True)
class GlyphConfig:
    """Everything that decides the bytes of the output."""

    seed: int = 0
    image_size: int = 32
    font_size: int = 28
    min_coverage: int = 1000  # faces covering fewer CJK characters are dropped
    min_ink_pixels: int = 4  # fewer lit pixels than this is a blank rendering
    train_fraction: float = 0.7
    queries_per_identity: int = 2
    max_identities: int | None = None  # a seeded subset, for small test builds
    packages: tuple[str, ...] = field(default_factory=lambda: tuple(glyph_font_packages()))


PROBE_CHARACTER = "\u6c38"  # "eternity": every basic stroke, the classic test character


def _load(face: Face, config: GlyphConfig) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(face.path), config.font_size, index=face.index)


def render(face_font: ImageFont.FreeTypeFont, char: str, size: int) -> np.ndarray:
    """Render ``char`` with its ink box centred in a ``size`` x ``size`` image."""
    left, top, right, bottom = face_font.getbbox(char, anchor="lt")
    x = (size - (right - left)) // 2 - left
    y = (size - (bottom - top)) // 2 - top
    image = Image.new("L", (size, size), 0)
    ImageDraw.Draw(image).text((x, y), char, fill=255, font=face_font, anchor="lt")
    return np.asarray(image, dtype=np.uint8)


def png_bytes(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels, mode="L").save(buffer, format="PNG", optimize=False, compress_level=6)
    return buffer.getvalue()


def select_faces(
    faces: list[Face], config: GlyphConfig
) -> tuple[list[Face], dict[str, frozenset[int]], dict[str, str]]:
    """Keep fixed-pitch faces with broad coverage; say why each other face was dropped."""
    kept: list[Face] = []
    coverage: dict[str, frozenset[int]] = {}
    dropped: dict[str, str] = {}
    for face in faces:
        if face.is_proportional:
            dropped[face.key] = f"proportional variant ({face.name})"
            continue
        covered = block_coverage(face)
        if len(covered) < config.min_coverage:
            dropped[face.key] = f"covers {len(covered)} CJK characters (< {config.min_coverage})"
            continue
        try:
            render(_load(face, config), PROBE_CHARACTER, config.image_size)
        except OSError as error:  # broken hinting bytecode in some faces
            dropped[face.key] = f"FreeType cannot render it ({error})"
            continue
        kept.append(face)
        coverage[face.key] = covered
    return kept, coverage, dropped


def build_glyphs(out_dir: str | Path, config: GlyphConfig = GlyphConfig(), progress: bool = True) -> dict:
    """Render the benchmark into ``out_dir`` and return its card.

    The Parquet file and the card are each moved into place only when complete, card
    last, so a directory with a card always holds a finished build.
    """
    out_dir = Path(out_dir)
    faces = find_faces(list(config.packages))
    kept, coverage, dropped = select_faces(faces, config)
    if not kept:
        raise ValueError("no usable font faces")
    characters = sorted(frozenset.intersection(*coverage.values()))
    if config.max_identities is not None and config.max_identities < len(characters):
        rng = np.random.default_rng(config.seed)
        characters = sorted(rng.choice(characters, size=config.max_identities, replace=False).tolist())

    fonts = [_load(face, config) for face in kept]
    rows: dict[str, list] = {name: [] for name in SCHEMA.names if name not in ("split", "role")}
    blank = duplicate = 0
    for codepoint in tqdm(characters, desc="rendering glyphs", unit="char", disable=not progress):
        char = chr(codepoint)
        seen: set[bytes] = set()
        for face, font in zip(kept, fonts, strict=True):
            try:
                pixels = render(font, char, config.image_size)
            except OSError:
                pixels = None
            if pixels is None or int((pixels > 127).sum()) < config.min_ink_pixels:
                blank += 1
                continue
            digest = hashlib.sha256(pixels.tobytes()).digest()
            if digest in seen:
                duplicate += 1
                continue
            seen.add(digest)
            rows["id"].append(f"U+{codepoint:04X}/{face.key}")
            rows["identity"].append(codepoint)
            rows["face"].append(face.key)
            rows["image"].append(png_bytes(pixels))

    identities = np.asarray(rows["identity"], dtype=np.int64)
    split, role = assign_split_and_roles(
        identities,
        seed=config.seed,
        train_fraction=config.train_fraction,
        queries_per_identity=config.queries_per_identity,
    )
    table = pa.table({**rows, "split": split.tolist(), "role": role.tolist()}, schema=SCHEMA)

    parquet_path = out_dir / PARQUET_NAME
    with atomic_path(parquet_path) as tmp:
        pq.write_table(table, tmp, compression="zstd", row_group_size=16384)
        checksum = _sha256_file(tmp)
    card = _card(config, table, kept, dropped, blank, duplicate, checksum)
    write_text_atomic(out_dir / CARD_NAME, json.dumps(card, indent=2, sort_keys=True) + "\n")
    return card


def _count_role(table: pa.Table, role: str) -> int:
    return int(sum(1 for r in table.column("role").to_pylist() if r == role))


def _card(config, table, kept, dropped, blank, duplicate, checksum) -> dict:
    identities = np.asarray(table.column("identity"))
    split = np.asarray(table.column("split"))
    counts = np.unique(identities, return_counts=True)[1]
    return {
        "name": "glyphs",
        "config": {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(config).items()},
        "counts": {
            "identities": len(counts),
            "images": len(identities),
            "images_per_identity": {
                "min": int(counts.min()),
                "max": int(counts.max()),
                "mean": round(float(counts.mean()), 2),
            },
            "train_identities": len(np.unique(identities[split == "train"])),
            "test_identities": len(np.unique(identities[split == "test"])),
            "train_images": int((split == "train").sum()),
            "queries": _count_role(table, "query"),
            "gallery": _count_role(table, "gallery"),
            "removed_blank": int(blank),
            "removed_duplicate": int(duplicate),
        },
        "faces": {f.key: {"package": f.package, "name": f.name, "file": str(f.path)} for f in kept},
        "dropped_faces": dropped,
        "renderer": {"pillow": Image.__version__, "freetype": features.version("freetype2")},
        "sha256": checksum,
    }


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def existing_build(out_dir: str | Path, config: GlyphConfig) -> dict | None:
    """The card of a finished build in ``out_dir`` made with ``config``, if intact."""
    out_dir = Path(out_dir)
    card_path, parquet_path = out_dir / CARD_NAME, out_dir / PARQUET_NAME
    if not (card_path.exists() and parquet_path.exists()):
        return None
    card = json.loads(card_path.read_text())
    wanted = {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(config).items()}
    if card.get("config") != wanted or card.get("renderer", {}).get("pillow") != Image.__version__:
        return None
    return card if _sha256_file(parquet_path) == card.get("sha256") else None

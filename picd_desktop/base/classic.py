"""ClassicCodec: AVIF of the image downscaled by f, bicubic upsampling, high-quality ROI crops.

AV1 decoding is normative (dav1d), so the inner image decodes bit-exactly everywhere; the
upsampler is Pillow's fixed-point BICUBIC on 8-bit RGB (no libm).

Payload: u8 version, u8 flags (bit 0: ROI present), u8 f, u16 inner width, u16 inner height,
u32 AVIF length, the AVIF image, then the ROI payload (see roi.py) to the end.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import struct
from dataclasses import asdict, dataclass

import numpy as np
from PIL import Image

from picd_desktop.base.codec import QUALITY_MAX, QUALITY_MIN
from picd_desktop.base.roi import MARGIN, decode_roi, encode_roi
from picd_desktop.format.errors import BaseLayerError, InputImageError
from picd_desktop.text.layer import Box

VERSION = 1
MAX_SIDE = 1 << 15
MAX_PIXELS = 1 << 28
SUBSAMPLING = "4:4:4"
_HEAD = struct.Struct("<BBBHHI")
_FLAG_ROI = 1


@dataclass(frozen=True)
class Step:
    """One row of the quality table: downscale factor, AVIF quality and speed, ROI quality."""

    f: int
    q: int
    speed: int
    roi_q: int


# quality 1..8 -> Step; measured in bench/results/base_choice.md (Pareto front, screens).
TABLE: tuple[Step, ...] = (
    Step(4, 20, 8, 60),
    Step(4, 40, 8, 62),
    Step(3, 35, 8, 64),
    Step(3, 50, 8, 66),
    Step(2, 40, 8, 68),
    Step(2, 55, 8, 70),
    Step(1, 40, 8, 75),
    Step(1, 75, 8, 85),
)


def avif_encode(image: Image.Image, q: int, speed: int = 8) -> bytes:
    """Code an RGB image as AVIF (4:4:4, full range, one thread: reproducible output)."""
    buf = io.BytesIO()
    image.save(buf, "AVIF", quality=q, subsampling=SUBSAMPLING, speed=speed, max_threads=1)
    return buf.getvalue()


def avif_decode(data: bytes, max_pixels: int) -> Image.Image:
    """Decode AVIF bytes to RGB; any failure or a picture over `max_pixels` -> BaseLayerError."""
    try:
        im = Image.open(io.BytesIO(data), formats=["AVIF"])
        if im.width * im.height > max_pixels:
            raise BaseLayerError(f"AVIF picture {im.size} larger than expected")
        im.load()
        return im.convert("RGB")
    except BaseLayerError:
        raise
    except Exception as exc:  # Pillow raises OSError, ValueError, SyntaxError ... on bad data
        raise BaseLayerError(f"cannot decode AVIF payload: {exc}") from exc


def check_size(size: tuple[int, int]) -> tuple[int, int]:
    """Validate an image size (w, h) given to the decoder."""
    try:
        w, h = (int(v) for v in size)
    except (TypeError, ValueError) as exc:
        raise BaseLayerError(f"bad image size {size!r}") from exc
    if not (0 < w <= MAX_SIDE and 0 < h <= MAX_SIDE and w * h <= MAX_PIXELS):
        raise BaseLayerError(f"image size {w}x{h} out of range")
    return w, h


class ClassicCodec:
    """Downscale by f, AVIF 4:4:4, bicubic upsample; ROI boxes coded apart at full resolution."""

    id = "avif-ds-v1"

    def __init__(self) -> None:
        desc = {"id": self.id, "version": VERSION, "subsampling": SUBSAMPLING,
                "down": "box", "up": "bicubic", "roi_margin": MARGIN,
                "table": [asdict(s) for s in TABLE]}
        self.sha256 = hashlib.sha256(json.dumps(desc, sort_keys=True).encode()).hexdigest()

    @staticmethod
    def params(quality: float) -> tuple[int, int]:
        """(f, AVIF quality) for `quality`: table rows at integers, AVIF q interpolated between
        rows that share f (so size grows monotonically with quality)."""
        step = _step(quality)
        return step.f, step.q

    def encode(self, image: Image.Image, quality: float, roi: list[Box] | None = None) -> bytes:
        if image.width < 1 or image.height < 1:
            raise InputImageError(f"empty image {image.size}")
        if image.width > MAX_SIDE or image.height > MAX_SIDE:
            raise InputImageError(f"image {image.size} too large")
        image = image.convert("RGB")
        step = _step(quality)
        w, h = image.size
        iw, ih = -(-w // step.f), -(-h // step.f)
        small = image
        if step.f > 1:
            arr = np.asarray(image)
            padded = np.pad(arr, ((0, ih * step.f - h), (0, iw * step.f - w), (0, 0)), "edge")
            small = Image.fromarray(padded).reduce(step.f)
        main = avif_encode(small, step.q, step.speed)
        extra = encode_roi(image, list(roi), lambda t: avif_encode(t, step.roi_q)) if roi else b""
        flags = _FLAG_ROI if extra else 0
        return _HEAD.pack(VERSION, flags, step.f, iw, ih, len(main)) + main + extra

    def decode(self, data: bytes, size: tuple[int, int]) -> Image.Image:
        w, h = check_size(size)
        if len(data) < _HEAD.size:
            raise BaseLayerError("base layer payload truncated (header)")
        version, flags, f, iw, ih, n = _HEAD.unpack_from(data)
        if version != VERSION:
            raise BaseLayerError(f"unsupported classic base layer version {version}")
        if flags & ~_FLAG_ROI or not 1 <= f <= 16 or (iw, ih) != (-(-w // f), -(-h // f)):
            raise BaseLayerError(f"bad base layer header (flags {flags}, f {f}, {iw}x{ih})")
        end = _HEAD.size + n
        if end > len(data):
            raise BaseLayerError("base layer payload truncated (AVIF)")
        small = avif_decode(data[_HEAD.size:end], iw * ih)
        if small.size != (iw, ih):
            raise BaseLayerError(f"AVIF picture is {small.size}, expected {(iw, ih)}")
        out = small
        if f > 1:
            out = small.resize((iw * f, ih * f), Image.Resampling.BICUBIC).crop((0, 0, w, h))
        if flags & _FLAG_ROI:
            if end == len(data):
                raise BaseLayerError("base layer payload truncated (ROI)")
            decode_roi(data[end:], out, avif_decode)
        elif end != len(data):
            raise BaseLayerError("trailing bytes after the base layer")
        return out


def _step(quality: float) -> Step:
    q = float(quality)
    if not math.isfinite(q) or not QUALITY_MIN <= q <= QUALITY_MAX:
        raise ValueError(f"quality {quality!r} outside [{QUALITY_MIN}, {QUALITY_MAX}]")
    i = min(int(q - QUALITY_MIN), len(TABLE) - 1)
    lo = TABLE[i]
    hi = TABLE[min(i + 1, len(TABLE) - 1)]
    t = q - QUALITY_MIN - i
    if hi.f != lo.f or t <= 0:
        return lo
    return Step(lo.f, round(lo.q + t * (hi.q - lo.q)), lo.speed,
                round(lo.roi_q + t * (hi.roi_q - lo.roi_q)))

"""ClassicCodec: AVIF of the image downscaled by f, bicubic upsampling, ROI words kept legible.

AV1 decoding is normative (dav1d), so the inner image decodes bit-exactly everywhere; the
upsampler is Pillow's fixed-point BICUBIC on 8-bit RGB (no libm).

ROI boxes (words the text layer does not draw) on a flat background become ink masks
(inkmask.py: fg/bg colours + a lossless coverage mask, coded with the text layer's drawing
of the same words as context, so the decoder needs the layer; their ink is painted out of the image
before downscaling so the base holds no blurred copy); the other ROI boxes are AVIF crops.
Thin long lines (table grids, separators) are coded exactly as rules (rules.py) and painted
back over the upsampled base, under the ink.

Payload: u8 version, u8 flags (bit 0: ROI crops present, bit 1: ink masks present, bit 2:
rules present), u8 f,
u16 inner width, u16 inner height, u32 AVIF length, the AVIF image (raw deflate with the
AVIF_DICT preset dictionary: the container boxes cost ~40 B instead of ~275 B), then with
bit 1 a u32 length and the ink mask payload (inkmask.py), with bit 2 a u32 length and the
rules payload (rules.py), then the ROI crops (roi.py) to the end.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import struct
import zlib
from dataclasses import asdict, dataclass

import numpy as np
from PIL import Image

from picd_desktop.base import inkmask, maskcoder, rules, side
from picd_desktop.base.codec import QUALITY_MAX, QUALITY_MIN
from picd_desktop.base.roi import MARGIN, decode_tail, encode_roi, merge_boxes
from picd_desktop.format.errors import BaseLayerError, InputImageError
from picd_desktop.text.glyphs import word_coverage
from picd_desktop.text.layer import Box, TextLayer

VERSION = 3
MAX_SIDE = 1 << 14  # libavif's default image size limit is 16384 x 16384
MAX_PIXELS = MAX_SIDE * MAX_SIDE
SUBSAMPLING = "4:4:4"
_HEAD = struct.Struct("<BBBHHI")
_FLAG_ROI = 1
_FLAG_INK = 2
_FLAG_RULES = 4


@dataclass(frozen=True)
class Step:
    """One row of the quality table: downscale factor, AVIF quality and speed, ROI crop quality,
    ink mask bits."""

    f: int
    q: int
    speed: int
    roi_q: int
    ink_bits: int = 2


# quality 1..8 -> Step, picked from the (bpp, PSNR) Pareto fronts of screenshots with text and
# with their text painted out (bench/results/base_choice.md). 4:4:4 ~ 4:2:0 in PSNR per bit but
# keeps coloured UI edges; speed 8: speed 6 gains <0.5 dB for 4-10x the time, speed 9 loses
# ~0.8 dB. ROI quality 40+ keeps 11 px words legible. Ink masks: 1 bit costs ~2/3 of 2 bits but
# loses some small words to plain Tesseract (bench/results/roi_cost.md): 2 bits from quality 3.
TABLE: tuple[Step, ...] = (
    Step(4, 10, 8, 40, 1),
    Step(4, 25, 8, 42, 1),
    Step(3, 20, 8, 44),
    Step(3, 30, 8, 46),
    Step(2, 15, 8, 50),
    Step(2, 35, 8, 55),
    Step(1, 15, 8, 60),
    Step(1, 70, 8, 70),
)


# The container boxes of a 64x64 AVIF as this encoder writes them (ftyp ... mdat header): a
# raw-deflate preset dictionary that shrinks each AVIF's ~275 B of boxes to ~40 B. Part of the
# codec's definition (hashed into sha256): never change it under the same id.
AVIF_DICT = bytes.fromhex(
    "00000020667479706176696600000000617669666d6966316d6961664d413141000000eb6d65746100000000"
    "0000002168646c72000000000000000070696374000000000000000000000000000000000e7069746d000000"
    "0000010000001e696c6f63000000004400000100010000000100000113000000210000002869696e66000000"
    "0000010000001a696e6665020000000001000061763031436f6c6f72000000006a697072700000004b697063"
    "6f0000001469737065000000000000004000000040000000107069786900000000030808080000000c617631"
    "438120000000000013636f6c726e636c780001000d0006800000001769706d61000000000000000100010401"
    "028304000000296d646174"
)


def avif_encode(image: Image.Image, q: int, speed: int = 8) -> bytes:
    """Code an RGB image as AVIF (4:4:4, full range, one thread), deflated with AVIF_DICT."""
    buf = io.BytesIO()
    image.save(buf, "AVIF", quality=q, subsampling=SUBSAMPLING, speed=speed, max_threads=1)
    z = zlib.compressobj(9, zlib.DEFLATED, -15, 9, zdict=AVIF_DICT)
    return z.compress(buf.getvalue()) + z.flush()


def avif_decode(data: bytes, max_pixels: int) -> Image.Image:
    """Decode avif_encode's bytes to RGB; any failure or a picture over `max_pixels` (or an
    AVIF larger than such a picture could need) -> BaseLayerError."""
    try:
        z = zlib.decompressobj(-15, zdict=AVIF_DICT)
        limit = 4 * max_pixels + 65536
        avif = z.decompress(data, limit)
        if not z.eof or z.unconsumed_tail or z.unused_data:
            raise BaseLayerError("AVIF payload is not one complete deflate stream within bounds")
        im = Image.open(io.BytesIO(avif), formats=["AVIF"])
        if im.width * im.height > max_pixels:
            raise BaseLayerError(f"AVIF picture {im.size} larger than expected")
        im.load()
        return im.convert("RGB")
    except BaseLayerError:
        raise
    except Exception as exc:  # Pillow raises OSError, ValueError, SyntaxError ... on bad data
        raise BaseLayerError(f"cannot decode AVIF payload: {exc}") from exc


def check_input(image: Image.Image) -> None:
    """InputImageError unless `image` has a size the base codecs can code."""
    if image.width < 1 or image.height < 1:
        raise InputImageError(f"empty image {image.size}")
    if image.width > MAX_SIDE or image.height > MAX_SIDE:
        raise InputImageError(f"image {image.size} too large")


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

    id = "avif-ds-v3"

    def __init__(self) -> None:
        desc = {"id": self.id, "version": VERSION, "subsampling": SUBSAMPLING,
                "down": "box", "up": "bicubic", "roi_margin": MARGIN,
                "avif_dict": hashlib.sha256(AVIF_DICT).hexdigest(),
                "ink": {"round_1bit": inkmask.ROUND_1BIT, "coder": "maskcoder-v1",
                        "templates": [maskcoder.HI_TEMPLATE, maskcoder.PRED_TEMPLATE,
                                      maskcoder.LO_HI_TEMPLATE, maskcoder.LO_TEMPLATE],
                        "pred_level": maskcoder.PRED_LEVEL, "slope": maskcoder.SLOPE,
                        "weight": maskcoder.COUNT_WEIGHT, "residual": inkmask.RESIDUAL,
                        "outliers": inkmask.MAX_OUTLIERS, "min_bg": inkmask.MIN_BG,
                        "contrast": inkmask.MIN_CONTRAST, "fg_q": inkmask.FG_QUANTILE,
                        "box_tol": inkmask.BOX_TOL, "fringe": inkmask.MAX_FRINGE,
                        "run": inkmask.FRINGE_RUN,
                        "overshoot": inkmask.OVERSHOOT},
                "rules": {"min_length": rules.MIN_LENGTH, "contrast": rules.MIN_CONTRAST,
                          "tol": rules.COLOUR_TOL, "max": rules.MAX_RULES},
                "table": [asdict(s) for s in TABLE]}
        self.sha256 = hashlib.sha256(json.dumps(desc, sort_keys=True).encode()).hexdigest()

    @staticmethod
    def params(quality: float) -> tuple[int, int]:
        """(f, AVIF quality) for `quality`: table rows at integers, AVIF q interpolated between
        rows that share f (so size grows monotonically with quality)."""
        step = _step(quality)
        return step.f, step.q

    def encode(self, image: Image.Image, quality: float, roi: list[Box] | None = None,
               layer: TextLayer | None = None) -> bytes:
        check_input(image)
        image = image.convert("RGB")
        step = _step(quality)
        w, h = image.size
        iw, ih = -(-w // step.f), -(-h // step.f)
        arr = np.asarray(image)
        ink, rest, lines = b"", [], b""
        if step.f > 1:  # thin lines would blur away: coded exactly, painted out of the base
            arr, lines = side.lift_rules(arr)
        if roi and (step.f > 1 or step.roi_q > step.q):  # else the base is as good as a crop
            pred = word_coverage(layer) if layer is not None else None
            arr, ink, rest = side.lift_inks(arr, merge_boxes(list(roi), image.size),
                                            step.ink_bits, pred)
        small = Image.fromarray(arr) if ink or lines else image
        if step.f > 1:
            padded = np.pad(arr, ((0, ih * step.f - h), (0, iw * step.f - w), (0, 0)), "edge")
            small = Image.fromarray(padded).reduce(step.f)
        main = avif_encode(small, step.q, step.speed)
        extra = b""
        if rest:  # already grown and merged
            extra = encode_roi(image, rest, lambda t: avif_encode(t, step.roi_q), margin=0)
        flags = ((_FLAG_ROI if extra else 0) | (_FLAG_INK if ink else 0)
                 | (_FLAG_RULES if lines else 0))
        return (_HEAD.pack(VERSION, flags, step.f, iw, ih, len(main)) + main
                + side.frame(ink, lines) + extra)

    def decode(self, data: bytes, size: tuple[int, int],
               layer: TextLayer | None = None) -> Image.Image:
        w, h = check_size(size)
        if len(data) < _HEAD.size:
            raise BaseLayerError("base layer payload truncated (header)")
        version, flags, f, iw, ih, n = _HEAD.unpack_from(data)
        if version != VERSION:
            raise BaseLayerError(f"unsupported classic base layer version {version}")
        bad_flags = flags & ~(_FLAG_ROI | _FLAG_INK | _FLAG_RULES)
        if bad_flags or not 1 <= f <= 16 or (iw, ih) != (-(-w // f), -(-h // f)):
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
        ink = lines = pred = None
        if flags & _FLAG_INK:
            ink, end = side.chunk(data, end, "ink masks")
        if flags & _FLAG_RULES:
            lines, end = side.chunk(data, end, "rules")
        if ink is not None and layer is not None:
            if (layer.width, layer.height) != (w, h):
                raise BaseLayerError("text layer size differs from the base layer's")
            pred = word_coverage(layer)
        if ink is not None or lines is not None:
            canvas = np.array(out)
            side.paint(canvas, lines, ink, pred)
            out = Image.fromarray(canvas)
        decode_tail(data, end, out, bool(flags & _FLAG_ROI), avif_decode)
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
                round(lo.roi_q + t * (hi.roi_q - lo.roi_q)), lo.ink_bits)

"""Ink masks: ROI boxes on a flat background coded as bg + fg colours and a lossless coverage mask.

A UI word on a plain background is two colours mixed by anti-aliasing (per channel when it is
subpixel-rendered: those fringes are accepted and coded by their projection on bg -> fg). Each
such box is coded as its bg and fg colours plus a quantised coverage mask (the word's original
glyph shapes, never a re-rendering), coded losslessly by maskcoder.py with the text layer's
drawing of the same words as its prediction. The decoder paints fg over the base with alpha =
coverage (integer arithmetic, bit-exact). Boxes that are not two-colour (photos, gradients) are
left to the AVIF crops.

Payload: u8 bits (1 or 2), u16 count, u32 table length, the box table (raw deflate of the
columns x, y, w, h as u16 then fg, bg as u8 RGB), u32 CRC-32 of the prediction inside the
boxes (a decoder whose glyphs draw differently refuses instead of decoding garbage), u32 CRC-32
of the masks, then the mask stream (maskcoder.py) to the end.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

import numpy as np

from picd_desktop.base import maskcoder
from picd_desktop.base.roi import MAX_CROPS
from picd_desktop.base.tables import deflate, inflate_exact
from picd_desktop.format.errors import BaseLayerError
from picd_desktop.text.layer import Box

BITS = 2  # default coverage bits (levels 2**bits); the codec's quality table picks 1 or 2
RESIDUAL = 48  # a pixel farther than this (RGB L2) from the bg-fg segment is not two-colour
MAX_OUTLIERS = 0.04  # a flat box has at most this fraction of such pixels
MIN_BG = 0.35  # and at least this fraction of pixels at its bg colour
MIN_CONTRAST = 40  # fg must be this far (L2) from bg, else the box holds no ink
FG_QUANTILE = 0.97  # fg: median of the ink pixels at least this far out (stems, not edges)
BOX_TOL = 12  # a subpixel-rendered pixel lies (per channel) between bg and fg, give or take this
FRINGE_RUN = 4  # and come in horizontal runs shorter than this (a coloured blob is no fringe)
MAX_FRINGE = 0.4  # at most this fraction of pixels may be such fringes (off the bg-fg line)
OVERSHOOT = 1.3  # pixels up to this far past fg along bg->fg still count as two-colour
ROUND_1BIT = 0.6  # 1 bit: ink where coverage >= 1 - ROUND_1BIT (0.4: thin strokes survive;
# val screens, quality 1: text accuracy 0.886 at 0.5, 0.903 at 0.6, 0.907 at 0.7 for +2% bytes)
_HEAD = struct.Struct("<BHI")
_CRC = struct.Struct("<II")


@dataclass(frozen=True)
class InkBox:
    """One mask-coded box: where it is, its colours and its coverage (0 .. 2**BITS - 1)."""

    box: Box
    fg: tuple[int, int, int]
    bg: tuple[int, int, int]
    mask: np.ndarray  # uint8 (h, w)


def two_colours(patch: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """(bg, fg) of an RGB uint8 patch if it is ink on a flat background, else None."""
    px = patch.reshape(-1, 3).astype(np.int32)
    keys = (px[:, 0] >> 3) << 10 | (px[:, 1] >> 3) << 5 | px[:, 2] >> 3
    counts = np.bincount(keys, minlength=1 << 15)
    top = int(counts.argmax())
    bg = np.median(px[keys == top], axis=0).round().astype(np.int32)
    diff = px - bg
    dist = np.sqrt(np.einsum("ij,ij->i", diff, diff))
    if np.mean(dist <= RESIDUAL / 2) < MIN_BG:
        return None
    ink = dist > MIN_CONTRAST
    if not ink.any():
        return bg, bg
    far = dist >= np.quantile(dist[ink], FG_QUANTILE)
    fg = np.median(px[ink & far], axis=0).round().astype(np.int32)
    on_line = _residual(px, bg, fg) <= RESIDUAL
    lo, hi = np.minimum(bg, fg) - BOX_TOL, np.maximum(bg, fg) + BOX_TOL
    in_box = ((px >= lo) & (px <= hi)).all(1)  # subpixel (ClearType) fringes: per-channel mixes
    off = (in_box & ~on_line).reshape(patch.shape[:2])
    fringe = (off & ~_long_runs(off, FRINGE_RUN)).reshape(-1)
    if np.mean(~(on_line | fringe)) > MAX_OUTLIERS or np.mean(fringe) > MAX_FRINGE:
        return None
    return bg, fg


def _long_runs(mask: np.ndarray, n: int) -> np.ndarray:
    """The pixels of `mask` (2-D bool) in horizontal runs of at least `n` pixels."""
    if mask.shape[1] < n:
        return np.zeros_like(mask)
    width = mask.shape[1] - n + 1
    start = np.ones((mask.shape[0], width), bool)
    for k in range(n):
        start &= mask[:, k:k + width]
    out = np.zeros_like(mask)
    for k in range(n):
        out[:, k:k + width] |= start
    return out


def _coverage(px: np.ndarray, bg: np.ndarray, fg: np.ndarray, top: float = 1.0) -> np.ndarray:
    d = fg - bg
    den = max(int((d * d).sum()), 1)
    return np.clip((px - bg) @ d / den, 0.0, top)


def _residual(px: np.ndarray, bg: np.ndarray, fg: np.ndarray) -> np.ndarray:
    t = _coverage(px, bg, fg, OVERSHOOT)[..., None]
    r = px - bg - t * (fg - bg)
    return np.sqrt(np.einsum("...i,...i->...", r, r))


def split(image: np.ndarray, crops: list[Box], bits: int = BITS
          ) -> tuple[list[InkBox], list[Box]]:
    """Split merged `crops` of an RGB uint8 array into mask-coded boxes (at most MAX_CROPS)
    and the rest."""
    inks: list[InkBox] = []
    rest: list[Box] = []
    levels = (1 << bits) - 1
    for box in crops:
        x0, y0, x1, y1 = box
        patch = image[y0:y1, x0:x1]
        colours = two_colours(patch) if len(inks) < MAX_CROPS else None
        if colours is None:
            rest.append(box)
            continue
        bg, fg = colours
        if (fg == bg).all():
            mask = np.zeros(patch.shape[:2], np.uint8)
        else:
            cov = _coverage(patch.astype(np.int32), bg, fg)
            mask = np.floor(cov * levels + (ROUND_1BIT if bits == 1 else 0.5)).astype(np.uint8)
        inks.append(InkBox(box, tuple(int(v) for v in fg), tuple(int(v) for v in bg), mask))
    return inks, rest


def erase(image: np.ndarray, inks: list[InkBox]) -> np.ndarray:
    """A copy of `image` with the ink of mask-coded boxes replaced by their bg colour."""
    out = image.copy()
    for ink in inks:
        x0, y0, x1, y1 = ink.box
        patch = out[y0:y1, x0:x1]
        cov = _coverage(patch.astype(np.int32), np.array(ink.bg), np.array(ink.fg))
        patch[cov > 0.08] = ink.bg
    return out


def _prediction(pred: np.ndarray | None, box: Box) -> np.ndarray:
    x0, y0, x1, y1 = box
    if pred is None:
        return np.zeros((y1 - y0, x1 - x0), np.uint8)
    return pred[y0:y1, x0:x1]


def _crc(arrays: list[np.ndarray]) -> int:
    crc = 0
    for a in arrays:
        crc = zlib.crc32(np.ascontiguousarray(a, np.uint8).tobytes(), crc)
    return crc


def _pred_crc(preds: list[np.ndarray]) -> int:
    return _crc([p >= maskcoder.PRED_LEVEL for p in preds])


def encode_masks(inks: list[InkBox], bits: int = BITS, pred: np.ndarray | None = None) -> bytes:
    """Code mask-coded boxes (see the module docstring); b"" when there are none.

    `pred` (uint8 coverage, image size) is the ink the text layer predicts; the decoder must
    be given the same one.
    """
    if not inks:
        return b""
    inks = inks[:MAX_CROPS]
    cols = np.array([[*ink.box[:2], ink.box[2] - ink.box[0], ink.box[3] - ink.box[1]]
                     for ink in inks], "<u2").T
    colours = np.array([[*ink.fg, *ink.bg] for ink in inks], np.uint8).T
    table = deflate(cols.tobytes() + colours.tobytes())
    preds = [_prediction(pred, ink.box) for ink in inks]
    coded = maskcoder.encode([ink.mask for ink in inks], preds, bits)
    masks_crc = _crc([ink.mask for ink in inks])
    return (_HEAD.pack(bits, len(inks), len(table)) + table
            + _CRC.pack(_pred_crc(preds), masks_crc) + coded)


def decode_masks(data: bytes, canvas: np.ndarray, pred: np.ndarray | None = None) -> None:
    """Paint the boxes coded in `data` onto `canvas` (RGB uint8, full resolution) in place.

    `pred`: the encoder's prediction (see encode_masks); a different one -> BaseLayerError.
    """
    if len(data) < _HEAD.size:
        raise BaseLayerError("truncated ink mask payload")
    bits, count, n = _HEAD.unpack_from(data)
    if bits not in (1, 2) or not 0 < count <= MAX_CROPS or _HEAD.size + n > len(data):
        raise BaseLayerError(f"bad ink mask header ({bits} bits, {count} boxes, table {n} B)")
    want = count * 14
    raw = inflate_exact(data[_HEAD.size:_HEAD.size + n], want, "ink mask box table")
    x, y, w, h = np.frombuffer(raw[:count * 8], "<u2").reshape(4, count).astype(np.int64)
    colours = np.frombuffer(raw[count * 8:], np.uint8).reshape(6, count).T
    ch, cw = canvas.shape[:2]
    if (w == 0).any() or (h == 0).any() or (x + w > cw).any() or (y + h > ch).any():
        raise BaseLayerError("ink mask box outside the image")
    if int((w * h).sum()) > cw * ch:
        raise BaseLayerError("ink mask boxes cover more than the image")
    rest = _HEAD.size + n
    if rest + _CRC.size > len(data):
        raise BaseLayerError("truncated ink mask payload")
    boxes = [(int(x[i]), int(y[i]), int(x[i] + w[i]), int(y[i] + h[i])) for i in range(count)]
    preds = [_prediction(pred, box) for box in boxes]
    pred_crc, masks_crc = _CRC.unpack_from(data, rest)
    if pred_crc != _pred_crc(preds):
        raise BaseLayerError("the text layer's glyphs draw differently here than where the file "
                             "was made (font rasteriser or text layer differs): cannot decode "
                             "the ink masks exactly")
    masks = maskcoder.decode(data[rest + _CRC.size:], [(int(b), int(a)) for a, b in zip(
        w.tolist(), h.tolist(), strict=True)], preds, bits)
    if _crc(masks) != masks_crc:
        raise BaseLayerError("corrupt ink mask stream (checksum mismatch)")
    levels = (1 << bits) - 1
    for (x0, y0, x1, y1), mask, colour in zip(boxes, masks, colours, strict=True):
        if int(mask.max(initial=0)) > levels:
            raise BaseLayerError("ink mask value out of range")
        a = mask[..., None].astype(np.uint16)
        fg = colour[:3].astype(np.uint16)
        region = canvas[y0:y1, x0:x1]
        mixed = (region * (levels - a) + fg * a + levels // 2) // levels
        region[...] = mixed.astype(np.uint8)

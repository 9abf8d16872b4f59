"""Remove the ink of drawn words from the image, so the base layer codes background and layout.

Only ink pixels (and their anti-aliased fringe) inside the drawn words' boxes, a couple of
pixels wider, are replaced by the local background; long horizontal and vertical strokes
(rules, table lines, underlines wider than a glyph) are kept, and so is everything outside.
"""

from __future__ import annotations

import cv2
import numpy as np
from PIL import Image

from picd_desktop.text.layer import RGB, Line, TextLayer

INK_THRESHOLD = 0.12  # coverage above which a pixel counts as ink
BOX_PAD = 2  # px around a word box that may hold its anti-aliased fringe


LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)
MIN_LUMA_CONTRAST = 40.0  # below, coverage is measured along the fg-bg colour axis instead


def coverage(pixels: np.ndarray, fg: RGB, bg: RGB) -> np.ndarray:
    """Ink coverage in [0, 1] of RGB `pixels` (float or uint8) between `bg` (0) and `fg` (1).

    Measured on luminance when fg and bg differ enough in it: sub-pixel (ClearType) rendering
    tints the edges of glyphs red or blue, and luminance sees through those fringes.
    """
    f = np.asarray(fg, dtype=np.float32)
    b = np.asarray(bg, dtype=np.float32)
    d = f - b
    if abs(float(d @ LUMA)) >= MIN_LUMA_CONTRAST:
        axis = LUMA / float(d @ LUMA)
    else:
        denom = float(d @ d)
        if denom < 1.0:
            return np.zeros(pixels.shape[:2], dtype=np.float32)
        axis = d / denom
    cov = (pixels.astype(np.float32) - b) @ axis
    return np.clip(cov, 0.0, 1.0)


def _long_strokes(mask: np.ndarray, size: int) -> np.ndarray:
    """Pixels of `mask` on horizontal or vertical runs longer than any glyph stroke."""
    u8 = mask.astype(np.uint8)
    h_len = max(8, round(1.6 * size))
    v_len = max(8, round(1.7 * size))
    horiz = cv2.morphologyEx(u8, cv2.MORPH_OPEN, np.ones((1, h_len), np.uint8))
    vert = cv2.morphologyEx(u8, cv2.MORPH_OPEN, np.ones((v_len, 1), np.uint8))
    return (horiz | vert).astype(bool)


def _clean_line(arr: np.ndarray, line: Line) -> None:
    """Remove the ink of the line's drawn words from `arr` (H x W x 3 uint8) in place."""
    drawn = [w for w in line.words if w.drawn]
    if not drawn:
        return
    height, width = arr.shape[:2]
    ext = max(line.font_size, 8)
    rx0 = max(min(w.x0 for w in drawn) - ext, 0)
    rx1 = min(max(w.x1 for w in drawn) + ext, width)
    ry0 = max(line.y0 - ext, 0)
    ry1 = min(line.y1 + ext, height)
    region = arr[ry0:ry1, rx0:rx1]
    ink = coverage(region, line.fg, line.bg) > INK_THRESHOLD
    keep = _long_strokes(ink, line.font_size)
    halo = cv2.dilate(ink.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    remove = np.zeros_like(ink)
    boxes = np.zeros_like(ink)
    ya, yb = max(line.y0 - BOX_PAD - ry0, 0), min(line.y1 + BOX_PAD - ry0, ry1 - ry0)
    for word in drawn:
        xa, xb = max(word.x0 - BOX_PAD - rx0, 0), min(word.x1 + BOX_PAD - rx0, rx1 - rx0)
        boxes[ya:yb, xa:xb] = True
    remove = halo & boxes & ~keep
    if not remove.any():
        return
    # Fill from the local background: the median of non-ink pixels around the words.
    ring = boxes & ~halo & ~keep
    if ring.sum() >= 8:
        fill = np.median(region[ring], axis=0)
    else:
        fill = np.asarray(line.bg, dtype=np.float32)
    region[remove] = np.round(fill).astype(np.uint8)


def remove_drawn_text(image: Image.Image, layer: TextLayer) -> Image.Image:
    """A copy of `image` (RGB) with the ink of every drawn word replaced by its background."""
    arr = np.array(image.convert("RGB"), dtype=np.uint8)
    for line in layer.lines():
        _clean_line(arr, line)
    return Image.fromarray(arr, "RGB")

"""Image preparation for OCR: dark-ink-on-white normalisation, upscaling, strip splitting.

Screenshots mix light and dark themes, coloured buttons and title bars. `normalise_ink`
turns all of them into dark ink on white in one pass: the local background colour is a
large median (edge-preserving for flat UI regions, blind to thin glyph strokes), the ink is
the colour distance to it, stretched by the local contrast.
"""

from __future__ import annotations

import cv2
import numpy as np
from PIL import Image

from picd_desktop.format.errors import InputImageError

MEDIAN_WINDOW = 31  # px at 1x: wider than twice a bold stroke, narrower than a UI widget
CONTRAST_FLOOR = 48.0  # colour distance below which a region is treated as low-contrast noise
INK_THRESHOLD = 128  # grey level of the normalised image below which a pixel is ink


def to_rgb_array(image: Image.Image) -> np.ndarray:
    """The image as an HxWx3 uint8 array; transparent pixels are composited over white."""
    if not isinstance(image, Image.Image):
        raise InputImageError(f"expected a PIL image, got {type(image).__name__}")
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(white, rgba)
    return np.asarray(image.convert("RGB"), dtype=np.uint8)


def gray(rgb: np.ndarray) -> np.ndarray:
    """Plain luma (what Tesseract would see), uint8 HxW."""
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)


def local_background(rgb: np.ndarray, window: int = MEDIAN_WINDOW) -> np.ndarray:
    """Per-pixel background colour estimate (HxWx3 uint8): a per-channel median at half size."""
    h, w = rgb.shape[:2]
    small = cv2.resize(rgb, (max(1, w // 2), max(1, h // 2)), interpolation=cv2.INTER_AREA)
    k = max(3, (window // 2) | 1)
    med = cv2.medianBlur(small, k)
    return cv2.resize(med, (w, h), interpolation=cv2.INTER_LINEAR)


def ink_distance(rgb: np.ndarray, bg: np.ndarray) -> np.ndarray:
    """Euclidean RGB distance of every pixel to its background (float32, 0..441)."""
    diff = rgb.astype(np.float32) - bg.astype(np.float32)
    return np.sqrt(np.einsum("ijk,ijk->ij", diff, diff))


def normalise_ink(rgb: np.ndarray, window: int = MEDIAN_WINDOW) -> np.ndarray:
    """Dark ink on white (uint8 HxW) for any mix of light, dark and coloured backgrounds."""
    h, w = rgb.shape[:2]
    if h == 0 or w == 0:
        return np.full((h, w), 255, np.uint8)
    dist = ink_distance(rgb, local_background(rgb, window))
    # Local contrast: the strongest ink nearby, so faint grey text becomes as dark as black text.
    small = cv2.resize(dist, (max(1, w // 2), max(1, h // 2)), interpolation=cv2.INTER_AREA)
    kernel = np.ones((window // 2 | 1, window // 2 | 1), np.uint8)
    local_max = cv2.resize(cv2.dilate(small, kernel), (w, h), interpolation=cv2.INTER_LINEAR)
    scale = np.maximum(local_max, CONTRAST_FLOOR) * 0.75
    ink = np.clip(dist / scale, 0.0, 1.0)
    return (255.0 - 255.0 * ink + 0.5).astype(np.uint8)


def upscale(img: np.ndarray, factor: int) -> np.ndarray:
    """Cubic upscale by an integer factor (1 = unchanged)."""
    if factor <= 1:
        return img
    h, w = img.shape[:2]
    return cv2.resize(img, (w * factor, h * factor), interpolation=cv2.INTER_CUBIC)


def text_rows(norm: np.ndarray, min_vline: int = 40) -> np.ndarray:
    """Boolean per row: does the row hold ink other than long vertical rules?"""
    ink = (norm < INK_THRESHOLD).astype(np.uint8)
    if ink.shape[0] >= min_vline:
        vlines = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((min_vline, 1), np.uint8))
        ink &= 1 - vlines
    return ink.any(axis=1)


def split_strips(norm: np.ndarray, parts: int, min_rows: int = 64) -> list[tuple[int, int]]:
    """Split rows into <= `parts` strips (y0, y1) of similar ink, cutting only at blank rows.

    Cuts are placed in the middle of blank row gaps, so no strip cuts through a text line.
    Strips cover the whole height.
    """
    h = norm.shape[0]
    if parts <= 1 or h < 2 * min_rows:
        return [(0, h)]
    rows = text_rows(norm)
    # Candidate cuts: middles of blank gaps between ink rows.
    cuts: list[int] = []
    y = 0
    while y < h:
        if rows[y]:
            y += 1
            continue
        start = y
        while y < h and not rows[y]:
            y += 1
        if start > 0 and y < h:
            cuts.append((start + y) // 2)
    if not cuts:
        return [(0, h)]
    weight = np.cumsum(rows.astype(np.int64))
    total = int(weight[-1])
    chosen: list[int] = []
    for i in range(1, parts):
        target = total * i / parts
        best = min(cuts, key=lambda c: abs(int(weight[c]) - target))
        lo = chosen[-1] if chosen else 0
        if best - lo >= min_rows and h - best >= min_rows and best not in chosen:
            chosen.append(best)
    bounds = [0, *sorted(chosen), h]
    return [(bounds[i], bounds[i + 1]) for i in range(len(bounds) - 1)]

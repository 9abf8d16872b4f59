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
CONTRAST_FLOOR = 80.0  # contrast below which ink is not stretched to black (faint grids)
RULE_LENGTH = 40  # px: straight ink runs this long are rules, not glyphs
INK_THRESHOLD = 128  # grey level of the normalised image below which a pixel is ink


def to_rgb_array(image: Image.Image) -> np.ndarray:
    """The image as an HxWx3 uint8 array; transparent pixels are composited over white."""
    if not isinstance(image, Image.Image):
        raise InputImageError(f"expected a PIL image, got {type(image).__name__}")
    try:
        if image.mode in ("RGBA", "LA", "PA") or (
            image.mode == "P" and "transparency" in image.info
        ):
            rgba = image.convert("RGBA")
            white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
            image = Image.alpha_composite(white, rgba)
        return np.asarray(image.convert("RGB"), dtype=np.uint8)
    except (OSError, ValueError) as exc:  # truncated or undecodable pixel data
        raise InputImageError(f"cannot read the image pixels: {exc}") from exc


def gray(rgb: np.ndarray) -> np.ndarray:
    """Plain luma (what Tesseract would see), uint8 HxW."""
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)


def _median_small(rgb: np.ndarray, window: int, shrink: int) -> np.ndarray:
    h, w = rgb.shape[:2]
    small = cv2.resize(
        rgb, (max(1, w // shrink), max(1, h // shrink)), interpolation=cv2.INTER_AREA
    )
    return cv2.medianBlur(small, max(3, (window // shrink) | 1))


def local_background(rgb: np.ndarray, window: int = MEDIAN_WINDOW, shrink: int = 2) -> np.ndarray:
    """Per-pixel background colour estimate (HxWx3 uint8): a per-channel median, downsampled."""
    h, w = rgb.shape[:2]
    return cv2.resize(_median_small(rgb, window, shrink), (w, h), interpolation=cv2.INTER_LINEAR)


def ink_distance(rgb: np.ndarray, bg: np.ndarray) -> np.ndarray:
    """Largest per-channel difference of every pixel to its background (uint8 HxW)."""
    return channel_max(cv2.absdiff(rgb, bg))


def channel_max(img: np.ndarray) -> np.ndarray:
    """Per-pixel maximum over the 3 channels (much faster than ndarray.max(axis=2))."""
    r, g, b = cv2.split(img)
    return cv2.max(cv2.max(r, g), b)


def ink_map(rgb: np.ndarray, window: int = MEDIAN_WINDOW, shrink: int = 3) -> np.ndarray:
    """Colour distance to the nearest plausible background (uint8 HxW).

    The background is the median at this pixel or at one of 8 neighbours `shrink` pixels of the
    downsampled map away: next to a region edge or a widget corner one of them lies on the
    pixel's own region, so edges do not turn into ink while glyph strokes do.
    """
    h, w = rgb.shape[:2]
    med = _median_small(rgb, window, shrink)
    sh, sw = med.shape[:2]
    padded = cv2.copyMakeBorder(med, 1, 1, 1, 1, cv2.BORDER_REPLICATE)
    best: np.ndarray | None = None
    for dy in (0, 1, 2):
        for dx in (0, 1, 2):
            bg = cv2.resize(
                padded[dy : dy + sh, dx : dx + sw], (w, h), interpolation=cv2.INTER_LINEAR
            )
            d = ink_distance(rgb, bg)
            best = d if best is None else np.minimum(best, d)
    assert best is not None
    return best


def flat_background_distance(
    rgb: np.ndarray, tol: int = 3, size: int = 5
) -> tuple[np.ndarray, np.ndarray]:
    """Channel difference of every pixel to the nearest flat-region pixel (uint8 HxW), and
    the mask of pixels where that estimate applies.

    A flat pixel is the centre of a `size`x`size` square whose colour varies by <= `tol`:
    UI backgrounds, not glyph strokes. Pixels farther than 12 px from any flat pixel get 0
    (no opinion: photos, gradients); the median estimate decides there.
    """
    k = np.ones((3, 3), np.uint8)
    spread = channel_max(cv2.dilate(rgb, k) - cv2.erode(rgb, k))
    flat = cv2.erode((spread <= tol).astype(np.uint8), np.ones((size, size), np.uint8))
    if not flat.any():
        return np.zeros(rgb.shape[:2], np.uint8), np.zeros(rgb.shape[:2], bool)
    dist, labels = cv2.distanceTransformWithLabels(
        1 - flat, cv2.DIST_L2, 3, labelType=cv2.DIST_LABEL_PIXEL
    )
    colours = rgb[flat.astype(bool)]
    bg = colours[labels - 1]
    return ink_distance(rgb, bg), dist <= 12


def remove_rules(dist: np.ndarray, length: int = RULE_LENGTH, thr: int = 24) -> np.ndarray:
    """Erase long thin isolated horizontal and vertical rules (grids, separators, underlines).

    A rule is a straight ink run >= `length` px, < 4 px thick, with little ink in the 9 px
    band around it (a row of touching bold glyphs has dense ink above and below).
    """
    ink = (dist > thr).astype(np.uint8)
    rules = np.zeros_like(ink)
    for run, across, band in (
        ((1, length), (4, 1), (length, 9)),
        ((length, 1), (1, 4), (9, length)),
    ):
        long = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones(run, np.uint8))
        if not long.any():
            continue
        thick = cv2.morphologyEx(long, cv2.MORPH_OPEN, np.ones(across, np.uint8))
        density = cv2.boxFilter(ink.astype(np.float32), -1, band)
        rules |= long & (1 - thick) & (density < 0.34).astype(np.uint8)
    if not rules.any():
        return dist
    out = dist.copy()
    out[rules.astype(bool)] = 0
    return out


def normalise_ink(rgb: np.ndarray, window: int = MEDIAN_WINDOW, flat: bool = True) -> np.ndarray:
    """Dark ink on white (uint8 HxW) for any mix of light, dark and coloured backgrounds."""
    h, w = rgb.shape[:2]
    if h < 4 or w < 4:
        return np.full((h, w), 255, np.uint8)
    dist = ink_map(rgb, window)
    if flat:
        fd, near = flat_background_distance(rgb)
        dist = np.where(near, np.minimum(dist, fd), dist)
    dist = remove_rules(dist).astype(np.float32)
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

"""Image preparation for OCR: dark-ink-on-white normalisation, upscaling, strips and bands.

Screenshots mix light and dark themes, coloured buttons and title bars. `normalise_ink`
turns all of them into dark ink on white in one pass: the local background colour is a
large median (edge-preserving for flat UI regions, blind to thin glyph strokes), the ink is
the colour distance to it, stretched by the local contrast.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

from picd_desktop.format.errors import InputImageError

MEDIAN_WINDOW = 31  # px at 1x: wider than twice a bold stroke, narrower than a UI widget
CONTRAST_FLOOR = 80.0  # contrast below which ink is not stretched to black (faint grids)
RULE_LENGTH = 40  # px: straight ink runs this long are rules, not glyphs
INK_THRESHOLD = 128  # grey level of the normalised image below which a pixel is ink
BIG_TEXT_PX = 12  # x-height estimate (px) from which a band is read at 1x
BAND_PAD = 2  # ink rows closer than 2x this (blank rows between) are one band
BAND_MARGIN = 4  # blank px kept around each band's ink (> BAND_PAD: never another band's ink)
MOSAIC_GAP = 24  # blank rows between stacked bands (mosaic pixels)


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


@dataclass(frozen=True)
class Band:
    """A horizontal run of text rows (original pixels, x1/y1 exclusive) and its upscale."""

    x0: int
    y0: int
    x1: int
    y1: int
    factor: int
    ink: int  # ink pixels: a proxy for the Tesseract work the band costs


def _glyph_height(heights: np.ndarray) -> float:
    """25th percentile of glyph component heights: ~ the x-height (+ antialiasing), even
    when letters touch (word components are taller, so the estimate errs towards upscaling)."""
    return float(np.percentile(heights, 25)) if heights.size else 0.0


def text_bands(
    norm: np.ndarray,
    upscale: int,
    big_text: int = BIG_TEXT_PX,
    pad: int = BAND_PAD,
    margin: int = BAND_MARGIN,
) -> list[Band]:
    """Rows with ink cut into bands at blank rows, cropped to their ink columns.

    Each band gets upscale factor 1 when its x-height estimate (`_glyph_height` of its
    connected ink components, dots and rules excluded) is >= `big_text` px and it has fewer
    specks than glyphs: large clean text reads as well at 1x and costs Tesseract a quarter of
    the pixels; bands with smaller text or noisy backgrounds get `upscale`.
    """
    h, w = norm.shape
    rows = text_rows(norm)
    runs: list[list[int]] = []
    for y in np.flatnonzero(rows):
        a, b = max(0, int(y) - pad), min(h, int(y) + 1 + pad)
        if runs and a <= runs[-1][1]:
            runs[-1][1] = b
        else:
            runs.append([a, b])
    if not runs:
        return []
    ink = (norm < INK_THRESHOLD).astype(np.uint8)
    n, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    stats = stats[1:]
    glyph = (stats[:, 3] >= 4) & (stats[:, 3] <= 80) & (stats[:, 4] >= 6)
    speck = (stats[:, 3] < 4) | (stats[:, 4] < 6)
    mid = stats[:, 1] + stats[:, 3] // 2
    bands = []
    for a, b in runs:
        cols = np.flatnonzero(ink[a:b].any(axis=0))
        if cols.size == 0:
            continue
        x0, x1 = max(0, int(cols[0]) - margin), min(w, int(cols[-1]) + 1 + margin)
        band = (mid >= a) & (mid < b)
        inside = glyph & band
        gh = _glyph_height(stats[inside, 3])
        clean = int(inside.sum()) >= int((speck & band).sum())  # noise specks need the upscale
        factor = 1 if gh >= big_text and clean else max(1, upscale)
        y0, y1 = max(0, a - max(0, margin - pad)), min(h, b + max(0, margin - pad))
        bands.append(Band(x0, y0, x1, y1, factor, int(ink[a:b, x0:x1].sum())))
    return bands


def group_bands(bands: list[Band], parts: int) -> list[list[Band]]:
    """Split bands (in page order) into <= `parts` consecutive groups of similar cost."""
    if parts <= 1 or len(bands) <= 1:
        return [bands] if bands else []
    cost = np.cumsum(
        [(b.x1 - b.x0) * (b.y1 - b.y0) * b.factor**2 + 20 * b.ink for b in bands], dtype=np.float64
    )
    total = float(cost[-1])
    groups: list[list[Band]] = []
    start = 0
    for i in range(1, parts):
        end = int(np.searchsorted(cost, total * i / parts)) + 1
        end = min(max(end, start + 1), len(bands))
        if end > start:
            groups.append(bands[start:end])
            start = end
    if start < len(bands):
        groups.append(bands[start:])
    return [g for g in groups if g]


@dataclass(frozen=True)
class Mosaic:
    """Bands stacked into one image for one Tesseract run; `tops[i]` is band i's first row."""

    image: np.ndarray
    bands: tuple[Band, ...]
    tops: tuple[int, ...]

    def to_page(self, box: tuple[int, int, int, int]) -> tuple[int, tuple[int, int, int, int]]:
        """(band index, box in original pixels) of a box in mosaic pixels."""
        cy = (box[1] + box[3]) // 2
        i = max(0, int(np.searchsorted(np.asarray(self.tops), cy, side="right")) - 1)
        b, top = self.bands[i], self.tops[i]
        f = b.factor
        x0 = b.x0 + box[0] // f
        x1 = b.x0 - (-box[2] // f)
        y0 = b.y0 + (box[1] - top) // f
        y1 = b.y0 - (-(box[3] - top) // f)
        return i, (max(b.x0, x0), max(b.y0, y0), min(b.x1, x1), min(b.y1, y1))


def make_mosaic(img: np.ndarray, bands: list[Band], gap: int = MOSAIC_GAP) -> Mosaic:
    """Stack the bands of `img` (each upscaled by its factor), separated by blank rows."""
    parts = [upscale(img[b.y0 : b.y1, b.x0 : b.x1], b.factor) for b in bands]
    width = max(p.shape[1] for p in parts)
    height = sum(p.shape[0] for p in parts) + gap * (len(parts) + 1)
    out = np.full((height, width), 255, np.uint8)
    tops = []
    y = gap
    for p in parts:
        out[y : y + p.shape[0], : p.shape[1]] = p
        tops.append(y)
        y += p.shape[0] + gap
    return Mosaic(out, tuple(bands), tuple(tops))

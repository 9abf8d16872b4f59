"""Fit the text layer to the image: one font and size per line, and verify every word.

For each OCR line, fonts are ranked by how consistently their ink widths and heights explain
the word boxes; the best few are rendered at sizes around the implied one and the rendering
whose ink best overlaps the original's (soft Dice of coverage maps, baseline searched) wins.
A word is then drawn only if drawing it shows the right text: confident OCR, flat background,
enough contrast, rendered width close to the box width, and rendered ink that matches the
original both globally and in every character-sized window (a wrong letter makes one window
disagree). Words that fail are kept for search, not drawn, and their boxes go to the ROI.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache

import cv2
import numpy as np
from PIL import Image

from picd_desktop.text.fonts import MAX_FONT_SIZE, MIN_FONT_SIZE, font_ids, load_font
from picd_desktop.text.glyphs import ink_bbox, render_words
from picd_desktop.text.inpaint import coverage, remove_drawn_text
from picd_desktop.text.layer import Block, Box, Line, TextLayer, Word
from picd_desktop.text.ocr_types import OcrLine, OcrPage

REF_SIZE = 64
DRAWABLE = frozenset(chr(c) for c in range(0x21, 0x7F)) | frozenset(
    chr(c) for c in range(0xA1, 0x100)
)


@dataclass(frozen=True)
class FitConfig:
    """Thresholds of the fit and of the word verification (calibrated in bench/composite_probe)."""

    n_fonts: int = 4  # fonts rendered per line after the cheap width ranking
    baseline_search: int = 3  # px searched around the OCR baseline
    min_conf: float = 70.0
    max_bg_noise: float = 10.0
    min_contrast: float = 60.0  # RGB distance between fg and bg
    max_width_err_px: float = 1.5
    max_width_err_rel: float = 0.04
    min_dice: float = 0.70
    max_window_err: float = 0.55
    per_line: bool = False  # draw a line only if all its words pass
    blur_sigma: float = 0.7  # px; makes the comparison blind to sub-pixel placement


@dataclass(frozen=True)
class WordCheck:
    """Verification measures of one word (for calibration and reports)."""

    conf: float
    width_err: float  # |rendered ink width - box width| in px
    dice: float  # soft Dice of rendered vs original ink after alignment
    window_err: float  # worst character-sized window mismatch (0 best, 1 worst)
    dx: int  # horizontal shift that aligns the rendering
    drawable: bool  # characters and line statistics allow drawing at all


@lru_cache(maxsize=65536)
def _unit_box(font_id: int, text: str) -> tuple[float, float]:
    """Ink width and height of `text` at REF_SIZE."""
    left, top, right, bottom = ink_bbox(load_font(font_id, REF_SIZE), text)
    return float(right - left), float(bottom - top)


def _is_drawable_text(text: str) -> bool:
    return bool(text) and all(c in DRAWABLE for c in text)


def _blur(cov: np.ndarray, sigma: float) -> np.ndarray:
    return cv2.GaussianBlur(cov, (0, 0), sigma) if sigma > 0 else cov


def _soft_dice(a: np.ndarray, b: np.ndarray) -> float:
    total = float(a.sum() + b.sum())
    return 2.0 * float(np.minimum(a, b).sum()) / total if total > 0 else 0.0


@lru_cache(maxsize=1 << 18)
def _char_metrics(font_id: int, size: int, char: str) -> tuple[float, int, int, int, int]:
    """Advance and ink box (anchor 'ls') of one character at `size` px (hinted)."""
    font = load_font(font_id, size)
    return (font.getlength(char), *font.getbbox(char, anchor="ls"))


def _predict_box(font_id: int, size: int, text: str) -> tuple[float, float]:
    """Ink width and height of `text` from cached per-character metrics (kerning ignored)."""
    pen = 0.0
    left = top = float("inf")
    right = bottom = float("-inf")
    for char in text:
        adv, l_, t, r, b = _char_metrics(font_id, size, char)
        if r > l_:
            left, right = min(left, pen + l_), max(right, pen + r)
            top, bottom = min(top, t), max(bottom, b)
        pen += adv
    if right < left:
        return 0.0, 0.0
    return right - left, bottom - top


def _rank_fonts(line: OcrLine, n: int) -> list[tuple[int, int]]:
    """The n (font, size) pairs whose predicted ink boxes best explain the word boxes."""
    words = [w for w in line.words if _is_drawable_text(w.text)]
    bw = np.array([w.box[2] - w.box[0] for w in words], dtype=np.float64)
    bh = np.array([w.box[3] - w.box[1] for w in words], dtype=np.float64)
    ranked = []
    for fid in font_ids():
        units = np.array([_unit_box(fid, w.text) for w in words], dtype=np.float64)
        uw, uh = units[:, 0], units[:, 1]
        if uw.sum() <= 0 or uh.sum() <= 0:
            continue
        s_w = bw.sum() / uw.sum() * REF_SIZE
        s_h = bh.sum() / uh.sum() * REF_SIZE
        sizes = {_clamp_size(s_w + d) for d in (-1, 0, 1)} | {_clamp_size(s_h)}
        for size in sizes:
            pred = np.array([_predict_box(fid, size, w.text) for w in words])
            err = np.abs(pred[:, 0] - bw).sum() + 0.5 * np.abs(pred[:, 1] - bh).sum()
            ranked.append((float(err) / len(words), fid, size))
    ranked.sort()
    return [(fid, size) for _, fid, size in ranked[:n]]


def _clamp_size(size: float) -> int:
    return int(min(max(round(size), MIN_FONT_SIZE), MAX_FONT_SIZE))


def fit_line(arr: np.ndarray, line: OcrLine, cfg: FitConfig) -> tuple[int, int, int, float]:
    """(font_id, font_size, baseline, dice) of the rendering that best matches the line."""
    words = [
        Word(w.text, w.box[0], w.box[2]) for w in line.words if _is_drawable_text(w.text)
    ]
    x0, y0, x1, y1 = line.box
    if not words:
        return 0, _clamp_size((y1 - y0) * 0.8), line.baseline, 0.0
    height, width = arr.shape[:2]
    m = cfg.baseline_search
    pad = max(2, (y1 - y0) // 3)
    rx0, rx1 = max(x0 - 3, 0), min(x1 + 3, width)
    ry0, ry1 = max(y0 - pad, 0), min(y1 + pad, height)
    orig = _blur(coverage(arr[ry0:ry1, rx0:rx1], line.fg, line.bg), cfg.blur_sigma)
    rows = ry1 - ry0

    def score(fid: int, size: int, shifts: range) -> tuple[float, int]:
        font = load_font(fid, size)
        big = render_words(font, words, line.baseline, (rx0, ry0 - m, rx1, ry1 + m))
        big = _blur(big.astype(np.float32) / 255.0, cfg.blur_sigma)
        best = (-1.0, 0)
        for dy in shifts:
            d = _soft_dice(big[m - dy : m - dy + rows], orig)
            best = max(best, (d, dy))
        return best

    candidates = _rank_fonts(line, cfg.n_fonts)
    if not candidates:
        return 0, _clamp_size((y1 - y0) * 0.8), line.baseline, 0.0
    fid0, s0 = candidates[0]
    _, dy0 = score(fid0, s0, range(-m, m + 1))
    near = range(max(dy0 - 1, -m), min(dy0 + 1, m) + 1)
    best = (-1.0, 0, 0, 0)
    for fid, size in candidates:
        d, dy = score(fid, size, near)
        best = max(best, (d, -fid, size, dy))
    d, neg_fid, size, dy = best
    return -neg_fid, size, line.baseline + dy, d


def _window_err(big: np.ndarray, orig: np.ndarray, margin: int, win: int) -> float:
    """Worst mismatch over column windows of `win` px holding ink, each window aligned alone.

    `big` is the rendering with `margin` extra columns on each side of `orig`'s frame. Every
    window may slide up to `margin` px, so spacing drift between renderers is forgiven; a
    wrong, missing or extra character is not. 0 = identical, 1 = disjoint.
    """
    w = orig.shape[1]
    win = min(win, w)
    kernel = np.ones(win)
    mass_o = orig.sum(axis=0)
    best = None
    for s in range(-margin, margin + 1):
        rend = big[:, margin - s : margin - s + w]
        d = np.convolve(np.abs(rend - orig).sum(axis=0), kernel, mode="valid")
        m = np.convolve(rend.sum(axis=0) + mass_o, kernel, mode="valid")
        ratio = np.where(m > 0.25 * win, d / np.maximum(m, 1e-6), 0.0)
        best = ratio if best is None else np.minimum(best, ratio)
    return float(best.max()) if best is not None and best.size else 1.0


def _ink_width(cov: np.ndarray, threshold: float = 0.3) -> int:
    cols = np.flatnonzero((cov > threshold).any(axis=0))
    return int(cols[-1] - cols[0] + 1) if cols.size else 0


def check_word(
    arr: np.ndarray, line: Line, word: Word, conf: float, drawable: bool, sigma: float = 0.7
) -> WordCheck:
    """Compare `word` rendered in the line's font with the original ink around its box."""
    font = load_font(line.font_id, line.font_size)
    left, _, right, _ = ink_bbox(font, word.text)
    height, width = arr.shape[:2]
    pad, m = 2, 2
    rx0, rx1 = max(word.x0 - pad, 0), min(word.x1 + pad, width)
    ry0, ry1 = max(line.y0 - pad, 0), min(line.y1 + pad, height)
    if rx1 - rx0 < 2 or ry1 - ry0 < 2:
        return WordCheck(conf, 99.0, 0.0, 1.0, 0, False)
    raw = coverage(arr[ry0:ry1, rx0:rx1], line.fg, line.bg)
    width_err = float(abs((right - left) - _ink_width(raw)))
    orig = _blur(raw, sigma)
    big = render_words(font, [word], line.baseline, (rx0 - m, ry0 - 1, rx1 + m, ry1 + 1))
    big = _blur(big.astype(np.float32) / 255.0, sigma)
    h, w = orig.shape
    best = (-1.0, 0, 0)
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            rend = big[1 - dy : 1 - dy + h, m - dx : m - dx + w]
            best = max(best, (_soft_dice(rend, orig), dx, dy))
    dice, dx, dy = best
    rows = big[1 - dy : 1 - dy + h]
    win = max(3, round(0.45 * line.font_size))
    return WordCheck(conf, width_err, dice, _window_err(rows, orig, m, win), dx, drawable)


def passes(check: WordCheck, word: Word, cfg: FitConfig) -> bool:
    """True when the checks say drawing the word shows the right text."""
    box_w = word.x1 - word.x0
    return (
        check.drawable
        and check.conf >= cfg.min_conf
        and check.width_err <= max(cfg.max_width_err_px, cfg.max_width_err_rel * box_w)
        and check.dice >= cfg.min_dice
        and check.window_err <= cfg.max_window_err
    )


def _line_allows_drawing(line: OcrLine, cfg: FitConfig) -> bool:
    contrast = float(np.linalg.norm(np.subtract(line.fg, line.bg, dtype=np.float64)))
    return line.bg_noise <= cfg.max_bg_noise and contrast >= cfg.min_contrast


def fit_ocr_line(
    arr: np.ndarray, ocr_line: OcrLine, cfg: FitConfig
) -> tuple[Line, list[WordCheck]]:
    """The coded Line for one OCR line, with each word's verification measures."""
    font_id, size, baseline, _ = fit_line(arr, ocr_line, cfg)
    x0, y0, x1, y1 = ocr_line.box
    line = Line(
        y0=y0, y1=y1, baseline=baseline, font_id=font_id, font_size=size,
        fg=ocr_line.fg, bg=ocr_line.bg, words=(),
    )
    line_ok = _line_allows_drawing(ocr_line, cfg)
    words, checks = [], []
    for ow in ocr_line.words:
        word = Word(ow.text, ow.box[0], ow.box[2])
        drawable = line_ok and _is_drawable_text(ow.text)
        if drawable:
            check = check_word(arr, line, word, ow.conf, drawable, cfg.blur_sigma)
        else:
            check = WordCheck(ow.conf, 0.0, 0.0, 1.0, 0, False)
        ok = passes(check, word, cfg)
        if ok and check.dx:
            word = Word(word.text, word.x0 + check.dx, word.x1 + check.dx)
        words.append(replace(word, drawn=ok))
        checks.append(check)
    if cfg.per_line and not all(w.drawn for w in words):
        words = [replace(w, drawn=False) for w in words]
    return replace(line, words=tuple(words)), checks


def fit_layer(image: Image.Image, page: OcrPage, cfg: FitConfig | None = None) -> TextLayer:
    """The text layer of `image` from its OCR page (fonts fitted, words verified)."""
    cfg = cfg or FitConfig()
    arr = np.asarray(image.convert("RGB"))
    blocks = []
    for ocr_block in page.blocks:
        lines = tuple(
            fit_ocr_line(arr, ol, cfg)[0] for ol in ocr_block.lines if ol.words
        )
        if lines:
            blocks.append(Block(lines=lines))
    return TextLayer(width=page.width, height=page.height, lang=page.lang, blocks=tuple(blocks))


def undrawn_boxes(layer: TextLayer) -> list[Box]:
    """Boxes of the words the layer will not draw (the base must keep them legible)."""
    return [line.word_box(w) for line, w in layer.words() if not w.drawn]


def build_layer(
    image: Image.Image, page: OcrPage, cfg: FitConfig | None = None
) -> tuple[TextLayer, Image.Image, list[Box]]:
    """(layer, cleaned image without the drawn words' ink, ROI boxes of undrawn words)."""
    layer = fit_layer(image, page, cfg)
    return layer, remove_drawn_text(image, layer), undrawn_boxes(layer)

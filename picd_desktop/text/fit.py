"""Fit the text layer to the image: one font and size per line, and verify every word.

Word boxes are first snapped to the measured ink. Per line, font files are prefiltered by how
well their scaled ink widths explain the boxes, (file, size) pairs are ranked on hinted ink
boxes, and each of the best few is rendered in its three twins (hinted, fractional,
supersampled: see fonts.py); the one whose ink best overlaps the original (soft Dice of
blurred coverage maps, baseline searched) wins. Fractional twins are compared at a few
sub-pixel pen phases, since applications start words at fractional x.
A word is drawn only if drawing it shows the right text: confident OCR, flat background,
contrast, no space inside its ink, rendered width close to the measured ink, and a local
shape check: the worst 3x3 residual ("blob") after per-window alignment must be tiny
(pixel-exact font) or, within a line-adaptive limit, the text must match the pixels clearly
better than every OCR-confusable variant of it ('e'/'c', 'rn'/'m', a dropped '.', 'c'/'C'),
relative to how far the two renderings differ once each window is aligned. A lone word of
case-twin letters ('cow'/'COW') is never drawn: its fitted size would explain either case.
Words that fail are kept for search, not drawn, and their boxes go to the ROI.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache

import cv2
import numpy as np
from PIL import Image

from picd_desktop.format.errors import InputImageError
from picd_desktop.text.fonts import (
    FONTS,
    MAX_FONT_SIZE,
    MIN_FONT_SIZE,
    N_FILES,
    font_twins,
    load_font,
)
from picd_desktop.text.glyphs import advance, render_words
from picd_desktop.text.inpaint import coverage, remove_drawn_text
from picd_desktop.text.layer import Block, Box, Line, TextLayer, Word
from picd_desktop.text.ocr_types import OcrLine, OcrPage
from picd_desktop.text.palette import PALETTE_TOL, snap_colours

REF_SIZE = 64
REPEATED_PUNCT = re.compile(r"([^\w\s])\1")
PREFILTER = 6  # font files kept by the vectorised width test before the per-size ranking
LENGTH_PENALTY = 0.25  # extra margin asked against variants of another length
PHASES = (0.0, 0.25, 0.5, 0.75)  # sub-pixel pen starts tried for fractional fonts
MAX_FIT_WORDS = 8  # words of a line used to choose its font (enough evidence, bounded time)
INK_MIN = 0.08  # coverage that counts as (anti-aliased) ink when measuring extents
# Characters OCR mixes up (what each may really be) and characters it invents or drops.
CONFUSABLE = {
    "e": "c", "c": "eo", "o": "0ae", "0": "oO86", "O": "0Q", "l": "1I|i", "1": "lIL7", "I": "l1",
    "i": "lj", "j": "i", "s": "5", "S": "5", "h": "nb", "b": "h",
    "u": "vn", "v": "uyV", "V": "v", "m": "n", "n": "hum", "w": "W", "W": "w", "k": "K",
    "a": "oe", "B": "8", "8": "B3069", "3": "8", "Z": "2", "2": "Z7",
    "4": "A", "6": "8G5b", "9": "8g", "7": "1", "5": "sS6",
    "g": "q", "q": "g", "t": "f", "f": "t", "r": "x", "x": "r", "y": "v", "G": "C", "C": "G",
    ".": ",", ",": ".", ":": ";", ";": ":", "(": "[", ")": "]", "[": "(", "]": ")",
    "-": "_", "_": "-",
}
CONFUSABLE_PAIRS = {"rn": "m", "cl": "d", "vv": "w", "ri": "n", "li": "h"}
DROPPABLE = frozenset(".,:;'`_-\"")
# Letters whose capital is (nearly) the small one scaled: a word of only these, alone on its
# line, fits either case once the font size is fitted to it.
CASE_TWINS = frozenset("cosuvwxzCOSUVWXZ")
DRAWABLE = frozenset(chr(c) for c in range(0x21, 0x7F)) | frozenset(
    chr(c) for c in range(0xA1, 0x100)
)


@dataclass(frozen=True)
class FitConfig:
    """Thresholds of the fit and of the word verification (calibrated in bench/composite_probe)."""

    n_fonts: int = 3  # (font file, size) pairs rendered per line (x3 twins) after ranking
    baseline_search: int = 3  # px searched around the OCR baseline
    min_conf: float = 80.0
    max_bg_noise: float = 10.0
    min_contrast: float = 60.0  # RGB distance between fg and bg
    max_width_err_px: float = 3.0
    max_width_err_rel: float = 0.04
    min_dice: float = 0.80  # (0.60 let wrong words through on badly fitting fonts)
    max_window_err: float = 0.55
    max_blob_exact: float = 0.5  # below: the rendering matches (nearly) pixel for pixel
    max_blob: float = 2.5  # above: too far from the original to tell
    min_margin: float = 0.20  # confusable variants must match this much worse
    blob_slack: float = 0.6  # tolerated local mismatch above the line's typical one
    per_line: bool = False  # draw a line only if all its words pass
    min_line_share: float = 0.5  # else draw none of a line where fewer of its characters pass:
    # a few short words passing in a line of another font (italic) would mix styles
    blur_sigma: float = 0.7  # px; makes the comparison blind to sub-pixel placement
    palette_tol: int = PALETTE_TOL  # line colours snap to a per-image palette (0: off)
    page_fonts: bool = True  # lines try the page's main font files first (faster)


@dataclass(frozen=True)
class WordCheck:
    """Verification measures of one word (for calibration and reports)."""

    conf: float
    width_err: float  # |rendered ink width - box width| in px
    dice: float  # soft Dice of rendered vs original ink after alignment
    window_err: float  # worst character-sized window mismatch (0 best, 1 worst)
    blob: float  # worst 3x3 residual sum after per-window alignment (px of full ink)
    margin: float  # evidence against the closest confusable variant: 1 text, 0 tie, -1 variant
    dx: int  # horizontal shift that aligns the rendering
    drawable: bool  # characters and line statistics allow drawing at all


@lru_cache(maxsize=65536)
def _unit_box(font_id: int, text: str) -> tuple[float, float]:
    """Ink width and height of `text` at REF_SIZE (from per-character metrics: no rendering)."""
    return _predict_box(font_id, REF_SIZE, text)


def _is_drawable_text(text: str) -> bool:
    """Printable Latin text (the shipped fonts cover it)."""
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
    return (advance(font_id, size, char), *font.getbbox(char, anchor="ls"))


@lru_cache(maxsize=65536)
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


def _line_boxes(line: OcrLine) -> tuple[list, np.ndarray, np.ndarray]:
    """The drawable words used to choose the line's font, and their ink widths and heights."""
    words = [w for w in line.words if _is_drawable_text(w.text)][:MAX_FIT_WORDS]
    bw = np.array([w.box[2] - w.box[0] for w in words], dtype=np.float64)
    bh = np.array([w.box[3] - w.box[1] for w in words], dtype=np.float64)
    return words, bw, bh


def page_fonts(page: OcrPage, max_files: int = 5, min_share: float = 0.1) -> frozenset[int]:
    """Font files that best explain most lines of the page (votes weighted by words).

    Lines then only try these and their own best file, so the page's fonts are loaded and
    their glyphs rendered once, not every near-miss of every line.
    """
    votes: dict[int, float] = {}
    for line in page.lines():
        words, bw, bh = _line_boxes(line)
        if len(words) >= 2:  # the best three files of a line get 1, 1/2 and 1/4 of its vote
            for rank, fid in enumerate(_prefilter_fonts(words, bw, bh)[:3]):
                votes[fid] = votes.get(fid, 0.0) + len(words) / 2**rank
    total = sum(votes.values())
    ranked = sorted(votes, key=lambda f: -votes[f])
    return frozenset(f for f in ranked[:max_files] if votes[f] >= min_share * total)


def _rank_fonts(
    line: OcrLine, n: int, files: frozenset[int] | None = None
) -> list[tuple[int, int]]:
    """The n (font, size) pairs whose predicted ink boxes best explain the word boxes.

    With `files`, only those font files (and, for lines of 3+ words, the line's own best one)
    are ranked.
    """
    words, bw, bh = _line_boxes(line)
    order = _prefilter_fonts(words, bw, bh)
    if files:  # a line of 3+ words may also bring its own best file (a heading, code)
        own = order[:1] if len(words) >= 3 else []
        order = list(dict.fromkeys(own + [f for f in order if f in files])) or order[:1]
    ranked = []
    for fid in order:
        units = np.array([_unit_box(fid, w.text) for w in words], dtype=np.float64)
        uw, uh = units[:, 0], units[:, 1]
        s_w = bw.sum() / uw.sum() * REF_SIZE
        s_h = bh.sum() / uh.sum() * REF_SIZE
        sizes = {_clamp_size(s_w + d) for d in (-1, 0, 1)} | {_clamp_size(s_h)}
        for size in sizes:
            pred = np.array([_predict_box(fid, size, w.text) for w in words])
            # Measured ink loses up to ~2 px of faint anti-aliasing that bboxes include.
            dw, dh = pred[:, 0] - bw, pred[:, 1] - bh
            bias_w = min(max(_median(dw), 0.0), 2.0)
            bias_h = min(max(_median(dh), 0.0), 2.0)
            err = np.abs(dw - bias_w).sum() + 0.5 * np.abs(dh - bias_h).sum()
            ranked.append((float(err) / len(words), fid, size))
    ranked.sort()
    return [(fid, size) for _, fid, size in ranked[:n]]


def _prefilter_fonts(words: list, bw: np.ndarray, bh: np.ndarray) -> list[int]:
    """The PREFILTER fonts whose scaled reference ink boxes best explain the word boxes."""
    units = np.array(
        [[_unit_box(fid, w.text) for w in words] for fid in range(N_FILES)], dtype=np.float64
    )  # (font files, words, 2)
    uw, uh = units[..., 0], units[..., 1]
    ok = (uw.sum(axis=1) > 0) & (uh.sum(axis=1) > 0)
    scale = bw.sum() / np.maximum(uw.sum(axis=1), 1e-9)
    err = np.abs(uw * scale[:, None] - bw).sum(axis=1)
    err += 0.5 * np.abs(uh * scale[:, None] - bh).sum(axis=1)
    err[~ok] = np.inf
    order = [int(i) for i in np.argsort(err, kind="stable") if ok[i]]
    return order[:PREFILTER]


def _median(values: np.ndarray) -> float:
    ordered = sorted(values.tolist())
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else 0.5 * (ordered[mid - 1] + ordered[mid])


def _clamp_size(size: float) -> int:
    return int(min(max(round(size), MIN_FONT_SIZE), MAX_FONT_SIZE))


def fit_line(
    arr: np.ndarray, line: OcrLine, cfg: FitConfig, files: frozenset[int] | None = None
) -> tuple[int, int, int, float]:
    """(font_id, font_size, baseline, dice) of the rendering that best matches the line."""
    words = [
        Word(w.text, w.box[0], w.box[2]) for w in line.words if _is_drawable_text(w.text)
    ][:MAX_FIT_WORDS]
    _, y0, _, y1 = line.box
    if not words:
        return 0, _clamp_size((y1 - y0) * 0.8), line.baseline, 0.0
    height, width = arr.shape[:2]
    m = cfg.baseline_search
    pad = max(2, (y1 - y0) // 3)
    rx0, rx1 = max(words[0].x0 - 3, 0), min(words[-1].x1 + 3, width)
    ry0, ry1 = max(y0 - pad, 0), min(y1 + pad, height)
    orig = _blur(coverage(arr[ry0:ry1, rx0:rx1], line.fg, line.bg), cfg.blur_sigma)
    rows = ry1 - ry0

    def score(fid: int, size: int, shifts: range) -> tuple[float, int]:
        big = render_words(fid, size, words, line.baseline, (rx0, ry0 - m, rx1, ry1 + m))
        big = _blur(big.astype(np.float32) / 255.0, cfg.blur_sigma)
        best = (-1.0, 0)
        for dy in shifts:
            d = _soft_dice(big[m - dy : m - dy + rows], orig)
            best = max(best, (d, dy))
        return best

    candidates = [
        (twin, size)
        for fid, size in _rank_fonts(line, cfg.n_fonts, files)
        for twin in font_twins(fid)
        if size * FONTS[twin].supersample <= MAX_FONT_SIZE
    ]
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


def _window_sum(x: np.ndarray, win: int) -> np.ndarray:
    """Sums over sliding windows of `win` along the last axis ('valid' part only)."""
    c = np.cumsum(x, axis=-1)
    c = np.concatenate([np.zeros(x.shape[:-1] + (1,), dtype=c.dtype), c], axis=-1)
    return c[..., win:] - c[..., :-win]


def _window_err(big: np.ndarray, orig: np.ndarray, margin: int, win: int) -> tuple[float, float]:
    """(relative error, blob) of _window_profile."""
    ratio, blob, _ = _window_profile(big, orig, margin, win)
    return ratio, blob


def _window_profile(
    big: np.ndarray, orig: np.ndarray, margin: int, win: int
) -> tuple[float, float, np.ndarray]:
    """Worst mismatch over column windows of `win` px, each window aligned on its own.

    `big` is the rendering with `margin` extra columns on each side of `orig`'s frame. Every
    window may slide up to `margin` px (in half-pixel steps), so spacing drift between
    renderers is forgiven; a wrong, missing or extra character is not. Returns (relative
    error: 0 identical, 1 disjoint; blob: the largest 3x3 sum of absolute residual, in
    pixels of full ink; and the residual of each window at its best shift).
    """
    h, w = orig.shape
    win = min(win, w)
    half = 0.5 * (big[:, :-1] + big[:, 1:])  # the rendering moved by half a pixel
    stack = np.stack(
        [big[:, k : k + w].astype(np.float32) for k in range(2 * margin + 1)]
        + [half[:, k : k + w].astype(np.float32) for k in range(2 * margin)]
    )
    resid = np.abs(stack - orig[None])
    d = _window_sum(resid.sum(axis=1), win)
    mass = _window_sum(stack.sum(axis=1) + orig.sum(axis=0)[None], win)
    ratio = np.where(mass > 0.25 * win, d / np.maximum(mass, 1e-6), 0.0).min(axis=0)
    if not ratio.size:
        return 1.0, 9.0, np.zeros(0)
    # Worst 3x3 residual sum in each column of each shift: the shifts are stacked with zero
    # rows between them so that one box filter serves all.
    n = stack.shape[0]
    tall = np.zeros((n, h + 1, w), dtype=np.float32)
    tall[:, :h] = resid
    box = cv2.boxFilter(
        tall.reshape(n * (h + 1), w), -1, (3, 3), normalize=False,
        borderType=cv2.BORDER_CONSTANT,
    )
    peaks = box.reshape(n, h + 1, w).max(axis=1)  # (shifts, columns)
    blob = cv2.dilate(peaks, np.ones((1, win), np.uint8), anchor=(0, 0))[:, : w - win + 1]
    return float(ratio.max()), float(blob.min(axis=0).max()), d.min(axis=0)


def _ink_width(cov: np.ndarray, threshold: float = INK_MIN) -> int:
    cols = np.flatnonzero((cov > threshold).any(axis=0))
    return int(cols[-1] - cols[0] + 1) if cols.size else 0


def _gaps(cov: np.ndarray, min_gap: int, threshold: float = 0.15) -> int:
    """Blank column runs of at least `min_gap` px between ink (spaces inside a 'word')."""
    cols = np.flatnonzero((cov > threshold).any(axis=0))
    return int((np.diff(cols) > min_gap).sum()) if cols.size else 0


def variants(text: str, limit: int = 48) -> list[str]:
    """Texts OCR confuses with `text`: one confusable character swapped or punctuation dropped."""
    out: list[str] = []
    for i in range(len(text) - 1):
        pair = CONFUSABLE_PAIRS.get(text[i : i + 2])
        if pair:
            out.append(text[:i] + pair + text[i + 2 :])
    for i, char in enumerate(text):
        if char in DROPPABLE and text[i - 1 : i] == char:
            out.append(text[:i] + char + text[i:])  # '..' may be '...'
        for sub in CONFUSABLE.get(char, ""):
            out.append(text[:i] + sub + text[i + 1 :])
        if char in DROPPABLE and len(text) > 1:
            out.append(text[:i] + text[i + 1 :])
    for i, char in enumerate(text):
        if char == "m":
            out.append(text[:i] + "rn" + text[i + 1 :])
        if char in CASE_TWINS:
            out.append(text[:i] + char.swapcase() + text[i + 1 :])
    seen = dict.fromkeys(v for v in out if v and v != text)
    return list(seen)[:limit]


def check_word(
    arr: np.ndarray,
    line: Line,
    word: Word,
    conf: float,
    drawable: bool,
    sigma: float = 0.7,
    variant_range: tuple[float, float] = (0.5, 3.0),
    cfg: FitConfig | None = None,
) -> WordCheck:
    """Compare `word` rendered in the line's font with the original ink around its box.

    Also renders the OCR-confusable variants of the text (when `blob` lies in variant_range,
    where the decision needs them); `margin` is, for the closest one,
    (L1 error of the variant - L1 error of the text) / L1 distance between the two renderings:
    1 when the pixels where they differ side with the text, -1 when they side with the variant.
    """
    height, width = arr.shape[:2]
    pad, m = 2, 2
    rx0, rx1 = max(word.x0 - pad, 0), min(word.x1 + pad, width)
    ry0, ry1 = max(line.y0 - pad, 0), min(line.y1 + pad, height)
    if rx1 - rx0 < 3 or ry1 - ry0 < 3:
        return WordCheck(conf, 99.0, 0.0, 1.0, 9.0, 0.0, 0, False)
    raw = coverage(arr[ry0:ry1, rx0:rx1], line.fg, line.bg)
    orig = _blur(raw, sigma)
    region = (rx0 - m, ry0 - 1, rx1 + m, ry1 + 1)
    fid, size = line.font_id, line.font_size
    h, w = orig.shape
    best = (-1.0, 0, 0, 0.0)
    renders = {}
    for phase in PHASES if FONTS[fid].fractional else (0.0,):
        raw_p = render_words(fid, size, [word], line.baseline, region, phase)
        raw_p = raw_p.astype(np.float32) / 255
        big_p = _blur(raw_p, sigma)
        renders[phase] = raw_p, big_p
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                rend = big_p[1 - dy : 1 - dy + h, m - dx : m - dx + w]
                best = max(best, (_soft_dice(rend, orig), dx, dy, phase))
    dice, dx, dy, phase = best
    big_raw, big = renders[phase]
    win = max(3, round(0.45 * line.font_size))
    rows = big[1 - dy : 1 - dy + h]
    werr, blob, profile = _window_profile(rows, orig, m, win)
    width_err = float(abs(_ink_width(big_raw) - _ink_width(raw)))
    rend0 = big[1 - dy : 1 - dy + h, m - dx : m - dx + w]
    min_gap = max(3, round(0.35 * line.font_size))
    inner = raw[:, min(pad, word.x0 - rx0) : w - max(0, rx1 - word.x1)]
    if _gaps(inner, min_gap) > _gaps(rend0, min_gap):
        width_err = 99.0  # the original has a space the text lacks (merged words)
    # Variants only matter between "matches exactly" and "too far to tell" (variant_range).
    margin = 1.0 if blob <= variant_range[0] else -1.0
    todo = variants(word.text) if variant_range[0] < blob <= variant_range[1] else []
    if cfg is not None and not _cheap_checks_pass(
        WordCheck(conf, width_err, dice, werr, blob, 1.0, dx, drawable), word, cfg
    ):
        todo, margin = [], -1.0  # fails anyway: spare the variant renderings
    if todo:
        margin = 1.0
    for alt in todo:
        if cfg is not None and margin < cfg.min_margin:
            break  # already rejected
        alt_big = render_words(
            fid, size, [Word(alt, word.x0, word.x1)], line.baseline, region, phase
        )
        alt_rows = _blur(alt_big.astype(np.float32) / 255, sigma)[1 - dy : 1 - dy + h]
        _, _, alt_profile = _window_profile(alt_rows, orig, m, win)
        # Compare only the windows where the two renderings differ once each window is
        # aligned on its own (a variant of another width shifts the glyphs after the change).
        _, _, apart = _window_profile(alt_rows, rows[:, m : m + w], m, win)
        differ = apart > 0.5
        if differ.any():
            gain = float((alt_profile - profile)[differ].sum())
            # A variant of another length ('rn'/'m', a dropped '.') re-spaces the word, which
            # the per-window alignment partly forgives: it must lose by more.
            penalty = LENGTH_PENALTY if len(alt) != len(word.text) else 0.0
            margin = min(margin, gain / float(apart[differ].sum()) - penalty)
    return WordCheck(conf, width_err, dice, werr, blob, margin, dx, drawable)


def _cheap_checks_pass(check: WordCheck, word: Word, cfg: FitConfig) -> bool:
    """The checks that need no variant rendering."""
    box_w = word.x1 - word.x0
    return (
        check.drawable
        and check.conf >= cfg.min_conf
        and check.width_err <= max(cfg.max_width_err_px, cfg.max_width_err_rel * box_w)
        and check.dice >= cfg.min_dice
        and check.window_err <= cfg.max_window_err
        and check.blob <= cfg.max_blob
    )


def passes(check: WordCheck, word: Word, cfg: FitConfig, blob_limit: float | None = None) -> bool:
    """True when the checks say drawing the word shows the right text.

    `blob_limit` is the largest local mismatch tolerated for this word: tight where the line's
    other words match the font pixel for pixel, looser (cfg.max_blob) where the font is only
    similar; beyond max_blob_exact the word must also beat its confusable variants. Words
    without a letter or digit must match pixel for pixel (icons are often read as symbols).
    """
    limit = cfg.max_blob if blob_limit is None else blob_limit
    if not any(c.isalnum() for c in word.text) or REPEATED_PUNCT.search(word.text):
        # Symbols only ('#', '*', or an icon OCR'd as '©'), or runs like '..' whose length
        # OCR often gets wrong ('...'): pixel-exact or nothing.
        limit = 0.0
    box_w = word.x1 - word.x0
    shape_ok = check.blob <= cfg.max_blob_exact or (
        check.blob <= limit and check.margin >= cfg.min_margin
    )
    return (
        check.drawable
        and check.conf >= cfg.min_conf
        and check.width_err <= max(cfg.max_width_err_px, cfg.max_width_err_rel * box_w)
        and check.dice >= cfg.min_dice
        and check.window_err <= cfg.max_window_err
        and shape_ok
    )


def blob_reference(checks: list[WordCheck]) -> float | None:
    """Median local mismatch of the verifiable words (how well the font fits), if enough."""
    blobs = [c.blob for c in checks if c.drawable and c.dice > 0]
    return float(np.median(blobs)) if len(blobs) >= 3 else None


def blob_limit(cfg: FitConfig, reference: float | None) -> float:
    if reference is None:
        return cfg.max_blob
    return min(cfg.max_blob, max(cfg.max_blob_exact, reference + cfg.blob_slack))


def _case_ambiguous(text: str) -> bool:
    """True when every letter of `text` is a CASE_TWINS letter (and it has one)."""
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and all(c in CASE_TWINS for c in letters)


def _line_allows_drawing(line: OcrLine, cfg: FitConfig) -> bool:
    contrast = float(np.linalg.norm(np.subtract(line.fg, line.bg, dtype=np.float64)))
    return line.bg_noise <= cfg.max_bg_noise and contrast >= cfg.min_contrast


def refine_boxes(arr: np.ndarray, line: OcrLine, slack: int = 2) -> OcrLine:
    """The line with each word box snapped to the ink found within `slack` px of it.

    OCR boxes (from an upscaled image) are often a pixel or two off the anti-aliased ink; the
    font fit and the width check need the true extent. Neighbouring words are never crossed.
    """
    height, width = arr.shape[:2]
    words = list(line.words)
    out = []
    for i, w in enumerate(words):
        x0, y0, x1, y1 = w.box
        lo = max(x0 - slack, 0 if i == 0 else (words[i - 1].box[2] + x0) // 2, 0)
        hi = min(x1 + slack, width if i == len(words) - 1 else (x1 + words[i + 1].box[0] + 1) // 2)
        ya, yb = max(y0 - slack, 0), min(y1 + slack, height)
        if hi - lo < 1 or yb - ya < 1:
            out.append(w)
            continue
        ink = coverage(arr[ya:yb, lo:hi], line.fg, line.bg) > INK_MIN
        cols, rows = np.flatnonzero(ink.any(axis=0)), np.flatnonzero(ink.any(axis=1))
        if cols.size == 0:
            out.append(w)
            continue
        box = (lo + int(cols[0]), ya + int(rows[0]), lo + int(cols[-1]) + 1, ya + int(rows[-1]) + 1)
        out.append(replace(w, box=box))
    union = (
        min(w.box[0] for w in out), min(w.box[1] for w in out),
        max(w.box[2] for w in out), max(w.box[3] for w in out),
    )
    return replace(line, words=tuple(out), box=union)


def measure_line(
    arr: np.ndarray, ocr_line: OcrLine, cfg: FitConfig, files: frozenset[int] | None = None
) -> tuple[Line, list[WordCheck]]:
    """The fitted Line for one OCR line (no word drawn yet) and each word's measures.

    `files` (from page_fonts) limits the font files tried; None tries all.
    """
    line_ok = _line_allows_drawing(ocr_line, cfg)
    if line_ok:
        ocr_line = refine_boxes(arr, ocr_line)
    font_id, size, baseline, _ = fit_line(arr, ocr_line, cfg, files)
    x0, y0, x1, y1 = ocr_line.box
    line = Line(
        y0=y0, y1=y1, baseline=baseline, font_id=font_id, font_size=size,
        fg=ocr_line.fg, bg=ocr_line.bg,
        words=tuple(Word(ow.text, ow.box[0], ow.box[2], drawn=False) for ow in ocr_line.words),
    )
    checks = []
    for ow, word in zip(ocr_line.words, line.words, strict=True):
        if line_ok and _is_drawable_text(ow.text):
            checks.append(
                check_word(
                    arr, line, word, ow.conf, True, cfg.blur_sigma,
                    (cfg.max_blob_exact, cfg.max_blob), cfg,
                )
            )
        else:
            checks.append(WordCheck(ow.conf, 0.0, 0.0, 1.0, 9.0, 0.0, 0, False))
    return line, checks


def decide_line(
    line: Line, checks: list[WordCheck], cfg: FitConfig, page_ref: float | None = None
) -> Line:
    """The line with Word.drawn set by the verification (and aligned by its dx)."""
    ref = blob_reference(checks)
    limit = blob_limit(cfg, ref if ref is not None else page_ref)
    words = []
    alone = len(line.words) == 1
    for word, check in zip(line.words, checks, strict=True):
        ok = passes(check, word, cfg, limit) and not (alone and _case_ambiguous(word.text))
        # A word whose aligned rendering starts left of the image is cut by the border: its
        # hidden part was never verified, so it is not drawn.
        ok = ok and word.x0 + check.dx >= 0
        shift = check.dx if ok else 0
        words.append(Word(word.text, word.x0 + shift, word.x1 + shift, drawn=ok))
    if cfg.per_line and not all(w.drawn for w in words):
        words = [replace(w, drawn=False) for w in words]
    chars = sum(len(w.text) for w in words)
    if len(words) > 1 and sum(len(w.text) for w in words if w.drawn) < cfg.min_line_share * chars:
        words = [replace(w, drawn=False) for w in words]
    return replace(line, words=tuple(words))


def fit_ocr_line(
    arr: np.ndarray, ocr_line: OcrLine, cfg: FitConfig, page_ref: float | None = None
) -> tuple[Line, list[WordCheck]]:
    """The coded Line for one OCR line, with each word's verification measures."""
    line, checks = measure_line(arr, ocr_line, cfg)
    return decide_line(line, checks, cfg, page_ref), checks


def fit_layer(image: Image.Image, page: OcrPage, cfg: FitConfig | None = None) -> TextLayer:
    """The text layer of `image` from its OCR page (fonts fitted, words verified)."""
    cfg = cfg or FitConfig()
    if image.size != (page.width, page.height):
        raise InputImageError(
            f"image is {image.size[0]}x{image.size[1]}, OCR page is {page.width}x{page.height}"
        )
    arr = np.asarray(image.convert("RGB"))
    files = page_fonts(page) if cfg.page_fonts else None
    measured = [
        [measure_line(arr, ol, cfg, files) for ol in ocr_block.lines if ol.words]
        for ocr_block in page.blocks
    ]
    page_ref = blob_reference([c for block in measured for _, cs in block for c in cs])
    blocks = []
    for block in measured:
        lines = tuple(decide_line(line, checks, cfg, page_ref) for line, checks in block)
        if lines:
            blocks.append(Block(lines=lines))
    layer = TextLayer(width=page.width, height=page.height, lang=page.lang, blocks=tuple(blocks))
    return snap_colours(layer) if cfg.palette_tol > 0 else layer


def undrawn_boxes(layer: TextLayer) -> list[Box]:
    """Boxes of the words the layer will not draw (the base must keep them legible)."""
    return [line.word_box(w) for line, w in layer.words() if not w.drawn]


def build_layer(
    image: Image.Image, page: OcrPage, cfg: FitConfig | None = None
) -> tuple[TextLayer, Image.Image, list[Box]]:
    """(layer, cleaned image without the drawn words' ink, ROI boxes of undrawn words)."""
    layer = fit_layer(image, page, cfg)
    return layer, remove_drawn_text(image, layer), undrawn_boxes(layer)

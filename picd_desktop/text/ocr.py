"""OCR of screenshots with Tesseract: image -> `OcrPage` (words, confidences, line statistics).

Pipeline (defaults chosen by bench/ocr_recall.py): normalise to dark ink on white
(`ocr_prep.normalise_ink`), cut the text rows into bands at blank rows (blank areas are never
sent), upscale bands with small text 2x (large text stays 1x), stack the bands into 2 mosaics
of similar cost and run one Tesseract process per mosaic in parallel; words are mapped back to
original pixels, junk is dropped, lines are split at column gaps and measured on the original
pixels (baseline, x-height, colours, background noise).
"""

from __future__ import annotations

import functools
import os
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import cv2
import numpy as np
import pytesseract
from PIL import Image

from picd_desktop.format.errors import OcrFailedError, OcrUnavailableError
from picd_desktop.text.layer import RGB, Box
from picd_desktop.text.ocr_prep import (
    BIG_TEXT_PX,
    INK_THRESHOLD,
    MOSAIC_GAP,
    Band,
    gray,
    group_bands,
    make_mosaic,
    normalise_ink,
    split_strips,
    text_bands,
    to_rgb_array,
)
from picd_desktop.text.ocr_prep import upscale as upscale_image
from picd_desktop.text.ocr_types import OcrBlock, OcrLine, OcrPage, OcrWord

INSTALL_HINT = "install it with: apt-get install tesseract-ocr tesseract-ocr-{lang}"
MAX_TESS_SIDE = 30000  # Tesseract/Leptonica refuse larger images
TESS_TIMEOUT_S = 30.0  # per Tesseract run, plus TESS_TIMEOUT_PER_MPX per megapixel it reads
TESS_TIMEOUT_PER_MPX = 10.0


@dataclass(frozen=True)
class OcrOptions:
    """Tunable knobs (the defaults are the bench winners)."""

    prep: str = "norm"  # "norm" (ink normalisation), "gray", or "gray+inv" (two passes)
    psm: int = 11
    strips: int = 2  # parallel Tesseract processes (mosaics of bands, or strips)
    layout: str = "bands"  # "bands": blank areas dropped, big text at 1x; "strips": whole rows
    big_text: int = BIG_TEXT_PX  # x-height estimate (px) from which a band is read at 1x
    dpi: int | None = 144  # resolution hint: a hair better than none in the bench (noise level)
    junk_conf: float = 60.0  # punctuation-only words below this confidence are dropped
    min_conf: float = 40.0  # any word below this confidence is noise, not text
    timeout_s: float | None = None  # per Tesseract run; None: 30 s + 10 s per megapixel


@dataclass
class _RawWord:
    key: tuple[int, ...]  # (pass, strip, block, par, line)
    text: str
    box: Box
    conf: float


@functools.lru_cache(maxsize=1)
def _languages() -> tuple[str, ...]:
    try:
        langs = pytesseract.get_languages(config="")
    except pytesseract.TesseractNotFoundError as exc:
        raise OcrUnavailableError(
            "Tesseract is not installed; install it with: apt-get install tesseract-ocr"
        ) from exc
    except (pytesseract.TesseractError, OSError) as exc:
        raise OcrUnavailableError(f"Tesseract cannot list its languages: {exc}") from exc
    return tuple(sorted(lang for lang in langs if lang != "osd"))


def available_languages() -> list[str]:
    """Installed Tesseract languages (without `osd`). Raises OcrUnavailableError without it."""
    return list(_languages())


def _check_lang(lang: str) -> None:
    have = set(_languages())
    for part in lang.split("+"):
        if part not in have:
            raise OcrUnavailableError(
                f"Tesseract language {part!r} is not installed (have: {', '.join(sorted(have))});"
                f" {INSTALL_HINT.format(lang=part)}"
            )


def run_ocr(
    image: Image.Image, lang: str = "eng", *, upscale: int = 2, options: OcrOptions | None = None
) -> OcrPage:
    """OCR a screenshot. Coordinates of the result are original image pixels.

    Raises OcrUnavailableError when Tesseract or `lang` is missing, OcrFailedError when
    Tesseract crashes or times out, InputImageError when `image` is not an image. An image
    without text gives a page with no blocks.
    """
    opts = options or OcrOptions()
    rgb = to_rgb_array(image)
    h, w = rgb.shape[:2]
    _check_lang(lang)
    if h == 0 or w == 0:
        return OcrPage(w, h, lang)
    os.environ["OMP_THREAD_LIMIT"] = "1"
    factor = max(1, min(int(upscale), MAX_TESS_SIDE // max(h, w)))
    norm = normalise_ink(rgb)
    passes: list[np.ndarray]
    if opts.prep == "norm":
        passes = [norm]
    elif opts.prep == "gray":
        passes = [gray(rgb)]
    elif opts.prep == "gray+inv":
        g = gray(rgb)
        passes = [g, 255 - g]
    else:
        raise ValueError(f"unknown prep {opts.prep!r}")
    config = f"--oem 1 --psm {opts.psm}"
    if opts.prep == "norm":
        config += " -c tessedit_do_invert=0"
    if opts.dpi:
        config += f" --dpi {opts.dpi}"
    if opts.layout == "bands":
        raw = _ocr_bands(passes, norm, lang, config, factor, opts)
    else:
        raw = _ocr_strips(passes, norm, lang, config, factor, opts)
    if len(passes) > 1:
        raw = _merge_passes(raw)
    raw = _drop_junk([_tighten(norm, r) for r in raw if r.conf >= opts.min_conf], opts.junk_conf)
    return OcrPage(w, h, lang, _build_blocks(rgb, norm, raw))


def _parallel(fn, jobs: list, workers: int) -> list[_RawWord]:
    workers = max(1, min(len(jobs), workers))
    if workers == 1:
        return [wd for j in jobs for wd in fn(j)]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return [wd for words in pool.map(fn, jobs) for wd in words]


def _mosaic_height(group: list[Band]) -> int:
    return sum((b.y1 - b.y0) * b.factor + MOSAIC_GAP for b in group) + MOSAIC_GAP


def _ocr_bands(
    passes: list[np.ndarray],
    norm: np.ndarray,
    lang: str,
    config: str,
    factor: int,
    opts: OcrOptions,
) -> list[_RawWord]:
    """Text bands (blank areas dropped, 1x for big text) stacked into `opts.strips` mosaics."""
    bands = text_bands(norm, factor, opts.big_text)
    parts = max(1, opts.strips)
    groups = group_bands(bands, parts)
    while parts < len(bands) and max(_mosaic_height(g) for g in groups) > MAX_TESS_SIDE:
        parts *= 2  # very tall pages: more, shorter mosaics (still `opts.strips` at a time)
        groups = group_bands(bands, parts)
    jobs = [(p, g, img, group) for p, img in enumerate(passes) for g, group in enumerate(groups)]
    first = {id(b): i for i, b in enumerate(bands)}

    def job(args: tuple[int, int, np.ndarray, list[Band]]) -> list[_RawWord]:
        p, _, img, group = args
        mosaic = make_mosaic(img, group)
        out = []
        for wd in _tesseract_words(mosaic.image, lang, config, 1, 0, (p, 0), opts.timeout_s):
            i, box = mosaic.to_page(wd.box)
            if box[2] > box[0] and box[3] > box[1]:
                key = (p, first[id(group[i])], *wd.key[2:])
                out.append(_RawWord(key, wd.text, box, wd.conf))
        return out

    return _parallel(job, jobs, opts.strips)


def _ocr_strips(
    passes: list[np.ndarray],
    norm: np.ndarray,
    lang: str,
    config: str,
    factor: int,
    opts: OcrOptions,
) -> list[_RawWord]:
    """Whole-width strips cut at blank rows, all upscaled by `factor` (the older layout)."""
    strips = split_strips(norm, opts.strips)
    jobs = [
        (p, s, img, y0, y1) for p, img in enumerate(passes) for s, (y0, y1) in enumerate(strips)
    ]

    def job(args: tuple[int, int, np.ndarray, int, int]) -> list[_RawWord]:
        p, s, img, y0, y1 = args
        if not (norm[y0:y1] < INK_THRESHOLD).any():  # nothing to read: skip Tesseract
            return []
        strip = upscale_image(img[y0:y1], factor)
        return _tesseract_words(strip, lang, config, factor, y0, (p, s), opts.timeout_s)

    return _parallel(job, jobs, opts.strips)


def _tesseract_words(
    img: np.ndarray,
    lang: str,
    config: str,
    factor: int,
    y_off: int,
    key: tuple[int, int],
    timeout_s: float | None = None,
) -> list[_RawWord]:
    if timeout_s is None:
        timeout_s = TESS_TIMEOUT_S + TESS_TIMEOUT_PER_MPX * img.size / 1e6
    try:
        data = pytesseract.image_to_data(
            Image.fromarray(img),
            lang=lang,
            config=config,
            output_type=pytesseract.Output.DICT,
            timeout=timeout_s,
        )
    except pytesseract.TesseractNotFoundError as exc:
        raise OcrUnavailableError("Tesseract is not installed") from exc
    except pytesseract.TesseractError as exc:
        raise OcrFailedError(
            f"Tesseract failed on a {img.shape[1]}x{img.shape[0]} image "
            f"(exit status {exc.status}): {exc.message}"
        ) from exc
    except RuntimeError as exc:  # pytesseract's "Tesseract process timeout"
        raise OcrFailedError(
            f"Tesseract did not finish within {timeout_s:.0f} s on a "
            f"{img.shape[1]}x{img.shape[0]} image: {exc}"
        ) from exc
    except OSError as exc:  # cannot start the process or exchange its files
        raise OcrUnavailableError(f"cannot run Tesseract: {exc}") from exc
    words: list[_RawWord] = []
    for i, text in enumerate(data["text"]):
        conf = float(data["conf"][i])
        text = text.strip()
        if conf < 0 or not text:
            continue
        left, top = data["left"][i], data["top"][i]
        right, bottom = left + data["width"][i], top + data["height"][i]
        box = (
            left // factor,
            top // factor + y_off,
            -(-right // factor),
            -(-bottom // factor) + y_off,
        )
        k = (*key, data["block_num"][i], data["par_num"][i], data["line_num"][i])
        words.append(_RawWord(k, text, box, conf))
    return words


def _iou(a: Box, b: Box) -> float:
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def _merge_passes(raw: list[_RawWord]) -> list[_RawWord]:
    """Keep, among words of different passes that overlap, the most confident one."""
    kept: list[_RawWord] = []
    for wd in sorted(raw, key=lambda r: -r.conf):
        if all(_iou(wd.box, k.box) < 0.3 for k in kept):
            kept.append(wd)
    order = {id(r): i for i, r in enumerate(raw)}
    return sorted(kept, key=lambda r: order[id(r)])


def _runs(mask: np.ndarray, gap: int) -> list[tuple[int, int]]:
    """Runs [a, b) of True in `mask`, merging runs separated by < `gap` False entries."""
    idx = np.flatnonzero(mask)
    if idx.size == 0:
        return []
    runs = [[int(idx[0]), int(idx[0]) + 1]]
    for i in idx[1:]:
        if i - runs[-1][1] < gap:
            runs[-1][1] = int(i) + 1
        else:
            runs.append([int(i), int(i) + 1])
    return [(a, b) for a, b in runs]


def _tighten(norm: np.ndarray, r: _RawWord) -> _RawWord:
    """Shrink a word box to its main band of ink rows (drops stray edge blobs Tesseract took)."""
    x0, y0, x1, y1 = r.box
    ink = norm[y0:y1, x0:x1] < 160
    rows = _runs(ink.any(axis=1), 3)
    if not rows:
        return r
    a, b = max(rows, key=lambda ab: int(ink[ab[0] : ab[1]].sum()))
    cols = np.flatnonzero(ink[a:b].any(axis=0))
    box = (x0 + int(cols[0]), y0 + a, x0 + int(cols[-1]) + 1, y0 + b)
    return _RawWord(r.key, r.text, box, r.conf)


def _drop_junk(raw: list[_RawWord], junk_conf: float) -> list[_RawWord]:
    if not raw:
        return raw
    heights = sorted(r.box[3] - r.box[1] for r in raw)
    med = heights[len(heights) // 2]
    out = []
    for r in raw:
        bw, bh = r.box[2] - r.box[0], r.box[3] - r.box[1]
        if bw <= 0 or bh <= 0 or bh > max(5 * med, 24):
            continue
        if not any(c.isalnum() for c in r.text) and r.conf < junk_conf:
            continue
        out.append(r)
    return out


def _fix_overlaps(norm: np.ndarray, words: list[_RawWord]) -> list[_RawWord]:
    """Repair words whose box covers the next word's box (a Tesseract LSTM quirk).

    If the pixels show a blank gap just before the next word, the first box is cut there;
    otherwise the two are one word split by a spurious space ("statistics." + "py") and are
    joined.
    """
    out: list[_RawWord] = []
    for cur in sorted(words, key=lambda r: r.box[0]):
        prev = out[-1] if out else None
        if prev is None or (min(prev.box[2], cur.box[2]) - cur.box[0]) * 2 <= (
            cur.box[2] - cur.box[0]
        ):
            out.append(cur)
            continue
        y0, y1 = min(prev.box[1], cur.box[1]), max(prev.box[3], cur.box[3])
        cols = (norm[y0:y1, prev.box[0] : cur.box[0]] < 160).any(axis=0)
        ink = np.flatnonzero(cols)
        if ink.size and cur.box[0] - (prev.box[0] + int(ink[-1]) + 1) >= 2:
            x1 = prev.box[0] + int(ink[-1]) + 1
            out[-1] = _RawWord(prev.key, prev.text, (*prev.box[:2], x1, prev.box[3]), prev.conf)
            out.append(cur)
        else:
            box = _union([prev.box, cur.box])
            out[-1] = _RawWord(prev.key, prev.text + cur.text, box, min(prev.conf, cur.conf))
    return out


def _split_gaps(words: list[_RawWord]) -> list[list[_RawWord]]:
    """Split a Tesseract line where the gap between words is a column gap, not a space."""
    words = sorted(words, key=lambda r: r.box[0])
    lh = max(r.box[3] - r.box[1] for r in words)
    groups = [[words[0]]]
    for prev, cur in zip(words, words[1:], strict=False):
        if cur.box[0] - prev.box[2] > 1.6 * lh:
            groups.append([])
        groups[-1].append(cur)
    return groups


def _build_blocks(rgb: np.ndarray, norm: np.ndarray, raw: list[_RawWord]) -> tuple[OcrBlock, ...]:
    blocks: dict[tuple[int, ...], dict[tuple[int, ...], list[_RawWord]]] = {}
    for r in raw:
        blocks.setdefault(r.key[:4], {}).setdefault(r.key, []).append(r)
    out: list[OcrBlock] = []
    for lines in blocks.values():
        built: list[OcrLine] = []
        for words in lines.values():
            for group in _split_gaps(_fix_overlaps(norm, words)):
                built.append(_make_line(rgb, group))
        built.sort(key=lambda ln: (ln.box[1], ln.box[0]))
        out.append(OcrBlock(tuple(built)))
    # Reading order: top to bottom, then left to right (psm 11 returns blocks unordered).
    out.sort(key=lambda b: (b.lines[0].box[1], b.lines[0].box[0]))
    return tuple(out)


def _union(boxes: list[Box]) -> Box:
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def _make_line(rgb: np.ndarray, words: list[_RawWord]) -> OcrLine:
    box = _union([w.box for w in words])
    text = "".join(w.text for w in words)
    stats = line_stats(rgb, box, text)
    return OcrLine(
        words=tuple(OcrWord(w.text, w.box, w.conf) for w in words),
        box=box,
        **stats,
    )


X_LETTERS = set("acemnorsuvwxz")


def _median0(px: np.ndarray) -> np.ndarray:
    """np.median(px, axis=0) of an NxC array via a partial sort (N >= 1; faster on small N)."""
    n = px.shape[0]
    half = n // 2
    if n % 2:
        return np.partition(px, half, axis=0)[half].astype(np.float64)
    part = np.partition(px, (half - 1, half), axis=0)
    return (part[half - 1].astype(np.float64) + part[half]) / 2


def _dominant_colour(px: np.ndarray) -> np.ndarray:
    """The median colour of the most common 5-bit-quantised colour among `px` (Nx3)."""
    q = (px >> 3).astype(np.int32)
    packed = (q[:, 0] << 10) | (q[:, 1] << 5) | q[:, 2]
    mode = np.bincount(packed).argmax()
    return _median0(px[packed == mode])


def _mad_std(px: np.ndarray) -> float:
    if len(px) == 0:
        return 0.0
    med = _median0(px)
    return float(np.mean(1.4826 * _median0(np.abs(px - med))))


def _pct(a: np.ndarray, q: float) -> float:
    """np.percentile(a, q) (linear interpolation) of a 1-D array, via a partial sort (faster)."""
    a = a.ravel()
    k = q / 100.0 * (a.size - 1)
    lo = int(k)
    hi = min(lo + 1, a.size - 1)
    part = np.partition(a, (lo, hi))
    v0, v1 = float(part[lo]), float(part[hi])
    return v0 + (v1 - v0) * (k - lo)


def _luma(c: RGB | np.ndarray) -> float:
    return 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2]


def line_stats(rgb: np.ndarray, box: Box, text: str = "") -> dict:
    """baseline, x_height, fg, bg, bg_noise, inverted of the line in `box` (original pixels).

    baseline: the first row below the ink of non-descender glyphs (PIL's anchor "ls" y).
    x_height: ink rows of lowercase letters without ascenders; 0.0 when `text` has none.
    bg: dominant colour around the line; fg: median colour of the ink cores (not the
    antialiased edges); bg_noise: robust std (MAD) of the pixels in a 3 px ring around it.
    """
    h, w = rgb.shape[:2]
    x0, y0, x1, y1 = box
    pad = 3
    ex0, ey0, ex1, ey1 = max(0, x0 - pad), max(0, y0 - pad), min(w, x1 + pad), min(h, y1 + pad)
    region = rgb[ey0:ey1, ex0:ex1].astype(np.int32)
    inner = np.zeros(region.shape[:2], bool)
    inner[y0 - ey0 : y1 - ey0, x0 - ex0 : x1 - ex0] = True
    bg_f = _dominant_colour(region.reshape(-1, 3))
    bg: RGB = tuple(int(round(v)) for v in bg_f)  # type: ignore[assignment]
    ring = region[~inner]
    noise = _mad_std(ring if len(ring) >= 8 else region.reshape(-1, 3))
    crop = region[inner].reshape(y1 - y0, x1 - x0, 3).astype(np.float32)
    dist = np.sqrt(((crop - bg_f.astype(np.float32)) ** 2).sum(axis=2))
    peak = _pct(dist, 99.5) if dist.size else 0.0
    if peak < 24:
        return dict(baseline=y1, x_height=0.0, fg=bg, bg=bg, bg_noise=noise, inverted=False)
    ink = dist > 0.5 * peak
    core = dist >= max(0.5 * peak, _pct(dist[ink], 75))
    fg: RGB = tuple(int(round(v)) for v in _median0(crop[core]))  # type: ignore[assignment]
    baseline = y0 + _baseline_row(ink)
    x_height = _x_height(ink, baseline - y0) if X_LETTERS & set(text) else 0.0
    return dict(
        baseline=int(baseline),
        x_height=float(x_height),
        fg=fg,
        bg=bg,
        bg_noise=round(noise, 2),
        inverted=_luma(fg) > _luma(bg),
    )


def _baseline_row(ink: np.ndarray) -> int:
    """Most common bottom (exclusive) of the ink components: the baseline, without descenders."""
    n, _, stats, _ = cv2.connectedComponentsWithStats(ink.astype(np.uint8), connectivity=8)
    bottoms: Counter[int] = Counter()
    for i in range(1, n):
        _, top, _, hh, area = stats[i]
        if hh >= 2 and area >= 3:
            bottoms[int(top + hh)] += 1
    if not bottoms:
        return ink.shape[0]
    best = max(bottoms.values())
    return min(b for b, c in bottoms.items() if c == best)


def _x_height(ink: np.ndarray, base: int) -> float:
    """Rows above the baseline where the ink profile stays dense (the x-height band)."""
    prof = ink[:base].sum(axis=1).astype(np.float64)
    if prof.size == 0 or prof.max() <= 0:
        return 0.0
    thr = 0.5 * _pct(prof[prof > 0], 75)
    y = base - 1
    while y >= 0 and prof[y] >= thr:
        y -= 1
    return float(base - 1 - y)


def page_text(page: OcrPage) -> str:
    """Words of the page joined by spaces (for quick checks and search)."""
    return " ".join(w.text for w in page.words())

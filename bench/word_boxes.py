"""Word-box text accuracy: is each word drawn right where it stands, whatever the page layout.

Page OCR (`metrics.text_accuracy`) also scores Tesseract's layout analysis, which can drop a
whole column of a table when a few pixels around it change by a level or two. Here every
confident word of the original (as in `metrics.reference_words`) is cut out of the render at
its original box, contrast-normalised, stacked with the others on a white page, and read in
one Tesseract call (psm 6, one text block); a word counts when the crop reads exactly as the
original's own crop does. Only words whose original crop reads right are scored, so the figure
measures the render, not the cropping.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import pytesseract
from PIL import Image

from bench.metrics import MIN_WORD_LEN, WORD_CONF

os.environ.setdefault("OMP_THREAD_LIMIT", "1")

PAD_X, PAD_Y = 2, 3  # pixels of the render kept around each word box
GAP = 12  # white rows between stacked crops
MAX_ROWS = 400  # words per Tesseract call
CONFIDENT = 85.0  # a crop read at least this sure (its least sure word) is a confident read


@dataclass(frozen=True)
class BoxedReference:
    """The original's confident words, where they stand, and which read right when cropped."""

    words: tuple[str, ...]
    boxes: tuple[tuple[int, int, int, int], ...]  # left, top, right, bottom (padded)
    dark: tuple[bool, ...]  # light text on a dark background in the original
    readable: tuple[bool, ...]  # the original's crop reads as the word


def _luma(img: Image.Image) -> np.ndarray:
    return np.asarray(img.convert("L"), dtype=np.float32)


def _crop(luma: np.ndarray, box: tuple[int, int, int, int], dark: bool) -> np.ndarray:
    """The box as dark-on-light, stretched to the full 0..255 range."""
    left, top, right, bottom = box
    c = luma[top:bottom, left:right]
    if dark:
        c = 255.0 - c
    lo, hi = float(c.min()), float(c.max())
    if hi - lo < 1:
        return np.full(c.shape, 255, np.uint8)
    return np.clip((c - lo) * (255.0 / (hi - lo)), 0, 255).astype(np.uint8)


def _read_chunk(crops: list[np.ndarray]) -> list[tuple[str, float]]:
    width = max(c.shape[1] for c in crops) + 2 * GAP
    height = sum(c.shape[0] + GAP for c in crops) + GAP
    page = np.full((height, width), 255, np.uint8)
    spans, y = [], GAP
    for c in crops:
        page[y:y + c.shape[0], GAP:GAP + c.shape[1]] = c
        spans.append((y, y + c.shape[0]))
        y += c.shape[0] + GAP
    data = pytesseract.image_to_data(Image.fromarray(page), lang="eng", config="--psm 6",
                                     output_type=pytesseract.Output.DICT)
    found: list[list[tuple[int, str, float]]] = [[] for _ in crops]
    starts = np.array([s for s, _ in spans])
    for text, conf, left, top, h in zip(data["text"], data["conf"], data["left"], data["top"],
                                        data["height"], strict=True):
        if not text.strip():
            continue
        centre = top + h / 2
        i = int(np.searchsorted(starts, centre, side="right")) - 1
        if 0 <= i < len(crops) and centre < spans[i][1] + GAP / 2:
            found[i].append((left, text.strip(), float(conf)))
    return [(" ".join(t for _, t, _ in sorted(f)), min((c for _, _, c in f), default=0.0))
            for f in found]


def read_boxes(img: Image.Image, ref: BoxedReference) -> list[tuple[str, float]]:
    """What Tesseract reads in each of `ref`'s boxes of `img`, with its least word
    confidence (0 when it reads nothing)."""
    luma = _luma(img)
    crops = [_crop(luma, b, d) for b, d in zip(ref.boxes, ref.dark, strict=True)]
    out: list[tuple[str, float]] = []
    for i in range(0, len(crops), MAX_ROWS):
        out += _read_chunk(crops[i:i + MAX_ROWS])
    return out


def boxed_reference(original: Image.Image) -> BoxedReference:
    """Tesseract's confident words of `original` and their padded boxes."""
    rgb = original.convert("RGB")
    data = pytesseract.image_to_data(rgb, lang="eng", output_type=pytesseract.Output.DICT)
    luma = _luma(rgb)
    words, boxes, dark = [], [], []
    for text, conf, left, top, w, h in zip(data["text"], data["conf"], data["left"],
                                           data["top"], data["width"], data["height"],
                                           strict=True):
        text = text.strip()
        if len(text) < MIN_WORD_LEN or float(conf) < WORD_CONF or w <= 0 or h <= 0:
            continue
        box = (max(0, left - PAD_X), max(0, top - PAD_Y),
               min(rgb.width, left + w + PAD_X), min(rgb.height, top + h + PAD_Y))
        c = luma[box[1]:box[3], box[0]:box[2]]
        border = np.concatenate([c[0], c[-1], c[:, 0], c[:, -1]])
        words.append(text)
        boxes.append(box)
        dark.append(bool(np.median(border) < 128))
    ref = BoxedReference(tuple(words), tuple(boxes), tuple(dark), ())
    readable = tuple(r == w for (r, _), w in zip(read_boxes(rgb, ref), words, strict=True))
    return BoxedReference(ref.words, ref.boxes, ref.dark, readable)


def _core(text: str) -> str:
    """Letters and digits only: a dropped period is not a wrong word, a lone '~' not a read."""
    return "".join(ch for ch in text if ch.isalnum())


@dataclass(frozen=True)
class BoxedScore:
    accuracy: float  # readable words that read the same in the render
    confident_wrong: float  # readable words read, confidently, as something else


def boxed_word_scores(ref: BoxedReference, recon: Image.Image) -> BoxedScore:
    """Both fractions over the original's readable word crops; nan if there are none."""
    total = sum(ref.readable)
    if total == 0:
        return BoxedScore(float("nan"), float("nan"))
    reads = read_boxes(recon.convert("RGB"), ref)
    right = wrong = 0
    for ok, (text, conf), word in zip(ref.readable, reads, ref.words, strict=True):
        if ok:
            right += text == word
            core = _core(text)
            wrong += len(core) >= MIN_WORD_LEN and core != _core(word) and conf >= CONFIDENT
    return BoxedScore(right / total, wrong / total)


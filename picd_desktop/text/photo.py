"""Natural photos go through PICD without the noise OCR finds in them.

Tesseract reads "words" into foliage, fur and fabric. In a screenshot an unsure word is kept
legible by the base layer (region of interest); in a photo those boxes would only spend bits
on noise. Photos are told apart by how little of them is flat, and keep only confident words.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from picd_desktop.text.ocr_types import OcrBlock, OcrLine, OcrPage

BLOCK = 8  # px: blocks of the image tested for flatness
FLAT_RANGE = 6  # a block is flat when its luma spans at most this many levels
PHOTO_FLAT_SHARE = 0.28  # images with fewer flat blocks than this are photo-like (bench set:
# photos 0.04-0.44, 13 of 14 below; screenshots 0.35-0.95)
PHOTO_MIN_CONF = 85.0  # words kept in a photo-like image


def flat_share(image: Image.Image) -> float:
    """The fraction of BLOCK x BLOCK blocks of `image` whose luma is (nearly) constant."""
    luma = np.asarray(image.convert("L"), dtype=np.int16)
    h, w = (luma.shape[0] // BLOCK) * BLOCK, (luma.shape[1] // BLOCK) * BLOCK
    if h == 0 or w == 0:
        return 1.0
    blocks = luma[:h, :w].reshape(h // BLOCK, BLOCK, w // BLOCK, BLOCK)
    spread = blocks.max(axis=(1, 3)) - blocks.min(axis=(1, 3))
    return float(np.mean(spread <= FLAT_RANGE))


def is_photo_like(image: Image.Image) -> bool:
    return flat_share(image) < PHOTO_FLAT_SHARE


def confident_words(page: OcrPage, min_conf: float = PHOTO_MIN_CONF) -> OcrPage:
    """`page` with only the words of confidence >= min_conf (empty lines and blocks dropped)."""
    blocks = []
    for block in page.blocks:
        lines = []
        for line in block.lines:
            words = tuple(w for w in line.words if w.conf >= min_conf)
            if words:
                lines.append(OcrLine(words, line.box, line.baseline, line.x_height, line.fg,
                                     line.bg, line.bg_noise, line.inverted))
        if lines:
            blocks.append(OcrBlock(tuple(lines)))
    return OcrPage(page.width, page.height, page.lang, tuple(blocks))


def encoder_ocr(image: Image.Image, lang: str = "eng") -> tuple[OcrPage, bool]:
    """(OCR page, photo-like?) as the encoder takes them: a photo keeps only confident words.
    Training data goes through this too, so the models see what the encoder makes."""
    from picd_desktop.text.ocr import run_ocr  # noqa: PLC0415 (pytesseract only when used)

    page = run_ocr(image, lang)
    photo = is_photo_like(image)
    return (confident_words(page) if photo else page), photo

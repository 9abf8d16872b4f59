"""What OCR hands to the encoder: words with confidences and per-line pixel statistics.

`text.ocr` produces an `OcrPage`; `text.fit` turns it into the coded `TextLayer` (fonts,
sizes, which words are drawn). Coordinates are pixels of the original image, x1/y1 exclusive.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from picd_desktop.text.layer import RGB, Box


@dataclass(frozen=True)
class OcrWord:
    text: str
    box: Box
    conf: float  # Tesseract confidence, 0..100


@dataclass(frozen=True)
class OcrLine:
    words: tuple[OcrWord, ...]
    box: Box
    baseline: int  # y of the baseline in image pixels
    x_height: float  # estimated from the pixels; 0.0 when unknown
    fg: RGB  # text colour
    bg: RGB  # background colour around the line
    bg_noise: float  # std of the background pixels around the line (0 = flat)
    inverted: bool  # light text on a dark background


@dataclass(frozen=True)
class OcrBlock:
    lines: tuple[OcrLine, ...]


@dataclass(frozen=True)
class OcrPage:
    width: int
    height: int
    lang: str
    blocks: tuple[OcrBlock, ...] = field(default_factory=tuple)

    def lines(self) -> Iterator[OcrLine]:
        for block in self.blocks:
            yield from block.lines

    def words(self) -> Iterator[OcrWord]:
        for line in self.lines():
            yield from line.words

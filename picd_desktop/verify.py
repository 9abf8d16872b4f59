"""Verification of a render against its text layer: re-OCR and compare word by word."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

from PIL import Image

from picd_desktop.text.layer import Box, TextLayer
from picd_desktop.text.ocr import run_ocr
from picd_desktop.text.ocr_types import OcrPage

Status = Literal["verified", "mismatch", "missing"]


@dataclass(frozen=True)
class WordCheck:
    """One word of the text layer and what OCR reads at its place in the render."""

    expected: str
    found: str
    box: Box
    drawn: bool
    status: Status


@dataclass(frozen=True)
class VerifyReport:
    checks: tuple[WordCheck, ...]

    @property
    def total(self) -> int:
        return len(self.checks)

    @property
    def verified(self) -> int:
        return sum(c.status == "verified" for c in self.checks)

    @property
    def accuracy(self) -> float:
        return self.verified / self.total if self.total else 1.0

    @property
    def drawn_total(self) -> int:
        return sum(c.drawn for c in self.checks)

    @property
    def drawn_verified(self) -> int:
        return sum(c.drawn and c.status == "verified" for c in self.checks)

    def to_json(self) -> dict:
        return {
            "words": self.total,
            "verified": self.verified,
            "accuracy": round(self.accuracy, 4),
            "drawn_words": self.drawn_total,
            "drawn_verified": self.drawn_verified,
            "mismatches": [asdict(c) for c in self.checks if c.status != "verified"],
        }


def overlap(a: Box, b: Box) -> float:
    """Intersection area over the smaller box's area."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return w * h / max(smaller, 1)


def compare(layer: TextLayer, page: OcrPage) -> VerifyReport:
    """Match every word of `layer` against the OCR words overlapping its box."""
    found_words = list(page.words())
    checks = []
    for line, word in layer.words():
        box = line.word_box(word)
        hits = [w for w in found_words if overlap(box, w.box) > 0.5]
        texts = [w.text for w in hits]
        if word.text in texts:
            status: Status = "verified"
        elif hits:
            status = "mismatch"
        else:
            status = "missing"
        checks.append(WordCheck(word.text, " ".join(texts), box, word.drawn, status))
    return VerifyReport(tuple(checks))


def verify_image(image: Image.Image, layer: TextLayer) -> VerifyReport:
    """Re-OCR `image` (a render of `layer`) and check every word of the layer."""
    return compare(layer, run_ocr(image.convert("RGB"), layer.lang or "eng"))

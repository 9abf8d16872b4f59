"""Residual ink: text-like clusters OCR did not return become base-layer ROI boxes."""

from __future__ import annotations

from PIL import Image, ImageDraw

from picd_desktop.text.fonts import load_font
from picd_desktop.text.layer import Block, Line, TextLayer, Word
from picd_desktop.text.residual import residual_ink_boxes


def _page() -> Image.Image:
    img = Image.new("RGB", (400, 120), (250, 250, 250))
    draw = ImageDraw.Draw(img)
    font = load_font(0, 14)
    draw.text((10, 10), "known words", font=font, fill=(20, 20, 20))
    draw.text((10, 60), "missed", font=font, fill=(20, 20, 20))
    draw.rectangle((300, 60, 340, 80), fill=(20, 20, 20))  # a solid block: not text
    return img


def _overlaps(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def test_missed_word_is_found_and_known_words_and_blocks_are_not() -> None:
    img = _page()
    known = Line(8, 30, 24, 0, 14, (20, 20, 20), (250, 250, 250),
                 (Word("known", 8, 52), Word("words", 56, 100)))
    layer = TextLayer(400, 120, blocks=(Block((known,)),))
    boxes = residual_ink_boxes(img, layer)
    assert any(_overlaps(b, (10, 60, 60, 80)) for b in boxes)
    assert not any(_overlaps(b, (8, 8, 100, 30)) for b in boxes)
    assert not any(_overlaps(b, (300, 60, 341, 81)) for b in boxes)


def test_blank_image_has_no_residual() -> None:
    img = Image.new("RGB", (64, 64), (255, 255, 255))
    assert residual_ink_boxes(img, TextLayer(64, 64)) == []

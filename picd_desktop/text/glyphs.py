"""Draw the text layer: every drawn word in its line's font, size and colour (the glyph image).

A word's ink is centred horizontally in its box [x0, x1) and sits on the line's baseline.
The encoder (`text.fit`) uses the same placement to verify words, so what it checked is what
the decoder draws. Integer placement and Pillow's BASIC layout keep the output deterministic.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from picd_desktop.text.fonts import load_font
from picd_desktop.text.layer import Line, TextLayer, Word


def ink_bbox(font: ImageFont.FreeTypeFont, text: str) -> tuple[int, int, int, int]:
    """Ink box of `text` relative to its origin on the baseline (anchor 'ls')."""
    return font.getbbox(text, anchor="ls")


def word_origin(font: ImageFont.FreeTypeFont, word: Word) -> int:
    """x of the pen origin that centres the word's ink inside [word.x0, word.x1)."""
    left, _, right, _ = ink_bbox(font, word.text)
    return (word.x0 + word.x1 - (right - left)) // 2 - left


def render_words(
    font: ImageFont.FreeTypeFont,
    words: list[Word],
    baseline: int,
    region: tuple[int, int, int, int],
) -> np.ndarray:
    """Coverage (uint8 0..255) of `words` drawn on `baseline`, cropped to region x0, y0, x1, y1."""
    x0, y0, x1, y1 = region
    canvas = Image.new("L", (max(x1 - x0, 1), max(y1 - y0, 1)), 0)
    draw = ImageDraw.Draw(canvas)
    for word in words:
        draw.text(
            (word_origin(font, word) - x0, baseline - y0), word.text, fill=255, font=font,
            anchor="ls",
        )
    return np.asarray(canvas)


def line_ink_region(line: Line, words: list[Word]) -> tuple[int, int, int, int]:
    """The box that holds the ink of `words` drawn in `line` (image coordinates)."""
    font = load_font(line.font_id, line.font_size)
    xs0, ys0, xs1, ys1 = [], [], [], []
    for word in words:
        left, top, right, bottom = ink_bbox(font, word.text)
        origin = word_origin(font, word)
        xs0.append(origin + left)
        xs1.append(origin + right)
        ys0.append(line.baseline + top)
        ys1.append(line.baseline + bottom)
    return min(xs0) - 1, min(ys0) - 1, max(xs1) + 1, max(ys1) + 1


def draw_glyphs(layer: TextLayer) -> Image.Image:
    """RGBA image of the layer's size: drawn words in their line colour, alpha = coverage."""
    width, height = layer.width, layer.height
    rgba = np.zeros((height, width, 4), dtype=np.uint8)
    for line in layer.lines():
        words = [w for w in line.words if w.drawn and w.text]
        if not words:
            continue
        font = load_font(line.font_id, line.font_size)
        rx0, ry0, rx1, ry1 = line_ink_region(line, words)
        cx0, cy0, cx1, cy1 = max(rx0, 0), max(ry0, 0), min(rx1, width), min(ry1, height)
        if cx0 >= cx1 or cy0 >= cy1:
            continue
        cov = render_words(font, words, line.baseline, (cx0, cy0, cx1, cy1))
        target = rgba[cy0:cy1, cx0:cx1]
        stronger = cov > target[..., 3]
        target[stronger, :3] = line.fg
        target[..., 3] = np.maximum(target[..., 3], cov)
    return Image.fromarray(rgba, "RGBA")

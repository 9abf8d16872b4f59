"""Draw the text layer: every drawn word in its line's font, size and colour (the glyph image).

Fractional fonts (fonts.FontSpec.fractional) place each glyph at its unhinted pen position
rounded to a pixel, as browsers do; supersampled ones draw that at 3x and average 3x3 blocks.
A word's ink is centred horizontally in its box [x0, x1)
and sits on the line's baseline; words are drawn one by one from cached bitmaps and combined
by maximum coverage.
The encoder (`text.fit`) uses the same placement to verify words, so what it checked is what
the decoder draws. Integer placement and Pillow's BASIC layout keep the output deterministic.
"""

from __future__ import annotations

import logging
from functools import cache, lru_cache

import numpy as np
from fontTools.ttLib import TTFont
from PIL import Image, ImageDraw, ImageFont

from picd_desktop.text.fonts import FONTS, base_font_id, font_path, load_font
from picd_desktop.text.layer import Line, TextLayer, Word


def ink_bbox(font: ImageFont.FreeTypeFont, text: str) -> tuple[int, int, int, int]:
    """Ink box of `text` relative to its origin on the baseline (anchor 'ls')."""
    return font.getbbox(text, anchor="ls")


@cache
def _unhinted_advances(file_id: int) -> tuple[dict[int, int], int]:
    """(codepoint -> advance in font units, units per em) of a shipped font file."""
    tt = TTFont(str(font_path(file_id)), lazy=True)
    hmtx = tt["hmtx"]
    advances = {cp: hmtx[name][0] for cp, name in tt.getBestCmap().items()}
    return advances, int(tt["head"].unitsPerEm)


KERN_CHARS = range(0x20, 0x100)  # kerning is read for Latin-1 pairs only (what OCR draws)


@cache
def _kerning(file_id: int) -> dict[tuple[int, int], int]:
    """(codepoint, codepoint) -> x adjustment in font units, from GPOS 'kern' of a font file.

    Pair adjustments of the 'kern' feature (PairPos formats 1 and 2), as HarfBuzz applies
    them to Latin text; the legacy 'kern' table is used when GPOS has no such pairs.
    """
    tt = TTFont(str(font_path(file_id)), lazy=True)
    # Open Sans's legacy 'kern' table overstates its length; fontTools warns, reads it fine.
    logging.getLogger("fontTools.ttLib.tables._k_e_r_n").setLevel(logging.ERROR)
    by_name: dict[str, list[int]] = {}
    for cp, name in tt.getBestCmap().items():
        if cp in KERN_CHARS:
            by_name.setdefault(name, []).append(cp)
    pairs: dict[tuple[str, str], int] = {}
    if "GPOS" in tt and tt["GPOS"].table.FeatureList is not None:
        table = tt["GPOS"].table
        indices = sorted({
            i for rec in table.FeatureList.FeatureRecord if rec.FeatureTag == "kern"
            for i in rec.Feature.LookupListIndex
        })
        for index in indices:
            lookup = table.LookupList.Lookup[index]
            for sub in lookup.SubTable:
                if lookup.LookupType == 9:
                    sub = sub.ExtSubTable
                if getattr(sub, "LookupType", 2) == 2:
                    _pair_pos(sub, by_name.keys(), pairs)
    if not pairs and "kern" in tt:
        for sub in tt["kern"].kernTables:
            for (a, b), value in getattr(sub, "kernTable", {}).items():
                if a in by_name and b in by_name:
                    pairs.setdefault((a, b), value)
    return {
        (ca, cb): value
        for (a, b), value in pairs.items() if value
        for ca in by_name[a] for cb in by_name[b]
    }


def _pair_pos(sub, wanted, pairs: dict[tuple[str, str], int]) -> None:
    """Add the x-advance adjustments of one PairPos subtable between `wanted` glyphs (the
    first subtable that lists a pair wins, as in OpenType)."""
    if sub.Format == 1:
        for first, pset in zip(sub.Coverage.glyphs, sub.PairSet, strict=False):
            if first not in wanted:
                continue
            for rec in pset.PairValueRecord:
                if rec.SecondGlyph in wanted:
                    value = getattr(rec.Value1, "XAdvance", 0) if rec.Value1 else 0
                    pairs.setdefault((first, rec.SecondGlyph), value or 0)
    elif sub.Format == 2:
        class1, class2 = sub.ClassDef1.classDefs, sub.ClassDef2.classDefs
        seconds = [(name, class2[name]) for name in wanted if name in class2]
        for first in sub.Coverage.glyphs:
            if first not in wanted:
                continue
            row = sub.Class1Record[class1.get(first, 0)].Class2Record
            for second, cls in seconds:
                v1 = row[cls].Value1
                value = getattr(v1, "XAdvance", 0) if v1 else 0
                if value:
                    pairs.setdefault((first, second), value)


def kern(font_id: int, size: int, left: str, right: str) -> float:
    """Kerning between two characters in px (fractional fonts only; 0 for hinted ones)."""
    if not FONTS[font_id].fractional:
        return 0.0
    value = _kerning(base_font_id(font_id)).get((ord(left), ord(right)))
    return _to_26_6(value * size / _unhinted_advances(base_font_id(font_id))[1]) if value else 0.0


def _to_26_6(px: float) -> float:
    """`px` rounded to 1/64 px, FreeType's and HarfBuzz's fixed-point unit."""
    return round(px * 64) / 64


@lru_cache(maxsize=1 << 16)
def advance(font_id: int, size: int, char: str) -> float:
    """Pen advance of one character: hinted, or unhinted for fractional fonts."""
    if FONTS[font_id].fractional:
        advances, upem = _unhinted_advances(base_font_id(font_id))
        units = advances.get(ord(char))
        if units is not None:
            return _to_26_6(units * size / upem)
    return float(load_font(font_id, size).getlength(char))


def _draw(font: ImageFont.FreeTypeFont, text: str) -> tuple[np.ndarray, int, int]:
    left, top, right, bottom = ink_bbox(font, text)
    canvas = Image.new("L", (max(right - left, 1), max(bottom - top, 1)), 0)
    ImageDraw.Draw(canvas).text((-left, -top), text, fill=255, font=font, anchor="ls")
    return np.asarray(canvas), left, top


@lru_cache(maxsize=1 << 16)
def _char_bitmap(font_id: int, size: int, char: str) -> tuple[np.ndarray, int, int]:
    return _draw(load_font(font_id, size), char)


def _compose(font_id: int, size: int, text: str, phase: float) -> tuple[np.ndarray, int, int]:
    """Glyphs placed at round(phase + unhinted pen position), combined by maximum coverage."""
    placed = []
    pen = phase
    for i, char in enumerate(text):
        if i:
            pen += kern(font_id, size, text[i - 1], char)
        bitmap, left, top = _char_bitmap(font_id, size, char)
        if bitmap.any():
            placed.append((bitmap, int(np.floor(pen + 0.5)) + left, top))
        pen += advance(font_id, size, char)
    if not placed:
        return np.zeros((1, 1), dtype=np.uint8), 0, 0
    x0 = min(x for _, x, _ in placed)
    y0 = min(y for _, _, y in placed)
    x1 = max(x + b.shape[1] for b, x, _ in placed)
    y1 = max(y + b.shape[0] for b, _, y in placed)
    out = np.zeros((y1 - y0, x1 - x0), dtype=np.uint8)
    for bitmap, x, y in placed:
        dst = out[y - y0 : y - y0 + bitmap.shape[0], x - x0 : x - x0 + bitmap.shape[1]]
        np.maximum(dst, bitmap, out=dst)
    return out, x0, y0


def _reduce(big: np.ndarray, left: int, top: int, ss: int) -> tuple[np.ndarray, int, int]:
    """Average `ss` x `ss` blocks on the grid of the pen origin (rounded to the nearest level)."""
    x0, y0 = left // ss, top // ss
    h, w = big.shape
    pad_l, pad_t = left - x0 * ss, top - y0 * ss
    rows = -(-(pad_t + h) // ss)
    cols = -(-(pad_l + w) // ss)
    grid = np.zeros((rows * ss, cols * ss), dtype=np.uint32)
    grid[pad_t : pad_t + h, pad_l : pad_l + w] = big
    sums = grid.reshape(rows, ss, cols, ss).sum(axis=(1, 3))
    out = ((sums + (ss * ss) // 2) // (ss * ss)).astype(np.uint8)
    return out, x0, y0


@lru_cache(maxsize=1 << 15)
def word_bitmap(
    font_id: int, size: int, text: str, phase: float = 0.0
) -> tuple[np.ndarray, int, int]:
    """Coverage (uint8) of `text` and the (left, top) of its box relative to the pen origin.

    `phase` (fractional fonts only) is the sub-pixel start of the pen: the encoder tries a few
    to recognise text an application drew at a fractional x; the decoder always draws phase 0.
    """
    ss = FONTS[font_id].supersample
    if ss > 1:
        bitmap, left, top = _reduce(*_compose(font_id, size * ss, text, phase * ss), ss)
    elif FONTS[font_id].fractional:
        bitmap, left, top = _compose(font_id, size, text, phase)
    else:
        bitmap, left, top = _draw(load_font(font_id, size), text)
    bitmap.flags.writeable = False
    return bitmap, left, top


def word_origin(font_id: int, size: int, word: Word, phase: float = 0.0) -> int:
    """x of the pen origin that centres the word's ink inside [word.x0, word.x1)."""
    bitmap, left, _ = word_bitmap(font_id, size, word.text, phase)
    return (word.x0 + word.x1 - bitmap.shape[1]) // 2 - left


def render_words(
    font_id: int,
    size: int,
    words: list[Word],
    baseline: int,
    region: tuple[int, int, int, int],
    phase: float = 0.0,
) -> np.ndarray:
    """Coverage (uint8 0..255) of `words` drawn on `baseline`, cropped to region x0, y0, x1, y1."""
    x0, y0, x1, y1 = region
    out = np.zeros((max(y1 - y0, 1), max(x1 - x0, 1)), dtype=np.uint8)
    for word in words:
        bitmap, left, top = word_bitmap(font_id, size, word.text, phase)
        bx = word_origin(font_id, size, word, phase) + left - x0
        by = baseline + top - y0
        h, w = bitmap.shape
        ya, yb = max(by, 0), min(by + h, out.shape[0])
        xa, xb = max(bx, 0), min(bx + w, out.shape[1])
        if ya < yb and xa < xb:
            dst = out[ya:yb, xa:xb]
            np.maximum(dst, bitmap[ya - by : yb - by, xa - bx : xb - bx], out=dst)
    return out


def line_ink_region(line: Line, words: list[Word]) -> tuple[int, int, int, int]:
    """The box that holds the ink of `words` drawn in `line` (image coordinates)."""
    xs0, ys0, xs1, ys1 = [], [], [], []
    for word in words:
        bitmap, left, top = word_bitmap(line.font_id, line.font_size, word.text)
        x = word_origin(line.font_id, line.font_size, word) + left
        xs0.append(x)
        xs1.append(x + bitmap.shape[1])
        ys0.append(line.baseline + top)
        ys1.append(line.baseline + top + bitmap.shape[0])
    return min(xs0), min(ys0), max(xs1), max(ys1)


def draw_glyphs(layer: TextLayer) -> Image.Image:
    """RGBA image of the layer's size: drawn words in their line colour, alpha = coverage."""
    return Image.fromarray(_draw_layer(layer, undrawn=False), "RGBA")


def word_coverage(layer: TextLayer) -> np.ndarray:
    """Coverage (uint8, layer size) of every word, drawn or not, as the decoder would draw it:
    the base codec's prediction of the ink it codes for the words the layer does not draw."""
    return _draw_layer(layer, undrawn=True)[..., 3]


def _draw_layer(layer: TextLayer, undrawn: bool) -> np.ndarray:
    width, height = layer.width, layer.height
    rgba = np.zeros((height, width, 4), dtype=np.uint8)
    for line in layer.lines():
        words = [w for w in line.words if (w.drawn or undrawn) and w.text]
        if not words:
            continue
        rx0, ry0, rx1, ry1 = line_ink_region(line, words)
        cx0, cy0, cx1, cy1 = max(rx0, 0), max(ry0, 0), min(rx1, width), min(ry1, height)
        if cx0 >= cx1 or cy0 >= cy1:
            continue
        cov = render_words(line.font_id, line.font_size, words, line.baseline, (cx0, cy0, cx1, cy1))
        target = rgba[cy0:cy1, cx0:cx1]
        stronger = cov > target[..., 3]
        target[stronger, :3] = line.fg
        target[..., 3] = np.maximum(target[..., 3], cov)
    return rgba

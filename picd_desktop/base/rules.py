"""Rules: thin horizontal and vertical lines (table grids, separators, borders) kept exact.

A 1-2 px line vanishes in a 3-4x downscaled base, and with it a table's structure. Each pixel
row (column) of a thin line that is long (>= MIN_LENGTH px), of one colour and distinct from
the pixels REACH px to both sides (mostly one background there) is coded as a one-pixel rule
with its colour (a few bytes), painted out of the image before the base is coded, and painted
back after it is decoded.

Payload: u16 count, then the raw deflate of the columns x, y, w, h as u16 and r, g, b as u8.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

from picd_desktop.base.tables import deflate, inflate_exact
from picd_desktop.format.errors import BaseLayerError

MIN_LENGTH = 24  # px: shorter runs are glyph strokes, icons
MIN_CONTRAST = 10  # max channel difference between the line and the pixels REACH px away
SIDE_TOL = 16  # max channel difference between the two sides of a line pixel ...
MIN_ALIKE = 0.6  # ... for this share of a rule's pixels (glyphs may touch it elsewhere)
REACH = 3  # on both sides: lines up to 5 px thick (anti-aliased ones included)
COLOUR_TOL = 6  # max channel difference along a line (dithering, gradients are not lines)
MAX_GAP = 3  # px: a line crossed by another line (a table grid) stays one rule
MIN_SAME = 0.85  # of a rule's pixels within COLOUR_TOL of its colour
MAX_RULES = 4096
_COUNT = struct.Struct("<H")


@dataclass(frozen=True)
class Rule:
    """A one-pixel-thin filled rectangle x, y, w, h (w or h is 1) of one colour."""

    x: int
    y: int
    w: int
    h: int
    colour: tuple[int, int, int]


def _runs(flags: np.ndarray, min_length: int) -> list[tuple[int, int, int]]:
    """(row, start, end) of horizontal runs of True in a 2-D bool array, at least min_length."""
    padded = np.zeros((flags.shape[0], flags.shape[1] + 2), bool)
    padded[:, 1:-1] = flags
    diff = np.diff(padded.astype(np.int8), axis=1)
    rows, starts = np.nonzero(diff == 1)
    _, ends = np.nonzero(diff == -1)  # same row-major order as the starts
    keep = ends - starts >= min_length
    return list(zip(rows[keep].tolist(), starts[keep].tolist(), ends[keep].tolist(),
                    strict=True))


def _channel_max(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """max over the RGB channels of |a - b| (int16 arrays)."""
    d = np.abs(a - b)
    return np.maximum(np.maximum(d[..., 0], d[..., 1]), d[..., 2])


def _bridge(flags: np.ndarray, gap: int) -> np.ndarray:
    """`flags` with horizontal gaps of up to `gap` pixels between True pixels filled (where a
    line crosses another, or a glyph touches it)."""
    out = flags.copy()
    for k in range(1, gap + 1):  # a pixel with set pixels k to its left and k to its right
        left = np.zeros_like(flags)
        left[:, k:] = flags[:, :-k]
        right = np.zeros_like(flags)
        right[:, :-k] = flags[:, k:]
        out |= left & right
    return out


def _horizontal(img: np.ndarray) -> list[Rule]:
    """1 px high rules in an RGB int16 array: runs of one colour that differ from the pixels
    REACH rows above and below (so lines up to 2 * REACH - 1 px thick, anti-aliased or not,
    come out as one rule per row)."""
    h = img.shape[0]
    if h < 2 * REACH + 1:
        return []
    line = img[REACH:h - REACH]
    above, below = img[:h - 2 * REACH], img[2 * REACH:]
    flags = (_channel_max(line, above) >= MIN_CONTRAST) & \
        (_channel_max(line, below) >= MIN_CONTRAST)
    alike = _channel_max(above, below) <= SIDE_TOL
    same = np.zeros_like(flags)
    same[:, 1:] = _channel_max(line[:, 1:], line[:, :-1]) <= COLOUR_TOL
    flags &= same | np.roll(same, -1, axis=1)
    bridged = _bridge(flags, MAX_GAP)
    rules = []
    for row, x0, x1 in _runs(bridged, MIN_LENGTH):
        if np.mean(flags[row, x0:x1]) < MIN_SAME:
            continue  # mostly gaps: a row of glyphs, not a line
        if np.mean(alike[row, x0:x1]) < MIN_ALIKE:
            continue  # an edge between two regions (or glyphs beside it), not a line on one
        run = line[row, x0:x1]
        colour = np.median(run, axis=0).astype(np.int16)
        if np.mean(np.abs(run - colour).max(-1) <= COLOUR_TOL) < MIN_SAME:
            continue  # a gradient, not a line
        rules.append(Rule(x0, row + REACH, x1 - x0, 1, tuple(int(c) for c in colour)))
    return rules


def detect(image: np.ndarray) -> list[Rule]:
    """Thin long lines of an RGB uint8 array: horizontal rules, then vertical ones."""
    img = image.astype(np.int16)
    found = _horizontal(img)
    columns = np.ascontiguousarray(img.transpose(1, 0, 2))
    found += [Rule(r.y, r.x, r.h, r.w, r.colour) for r in _horizontal(columns)]
    return found[:MAX_RULES]


def erase(image: np.ndarray, rules: list[Rule]) -> np.ndarray:
    """A copy of `image` with each rule replaced by the median colour of the pixels REACH px
    to its two sides (the background it was told apart from)."""
    out = image.copy()
    height, width = image.shape[:2]
    for r in rules:
        if r.h == 1:
            sides = np.concatenate([image[max(r.y - REACH, 0), r.x:r.x + r.w],
                                    image[min(r.y + REACH, height - 1), r.x:r.x + r.w]])
            out[r.y, r.x:r.x + r.w] = np.median(sides, axis=0).astype(np.uint8)
        else:
            sides = np.concatenate([image[r.y:r.y + r.h, max(r.x - REACH, 0)],
                                    image[r.y:r.y + r.h, min(r.x + REACH, width - 1)]])
            out[r.y:r.y + r.h, r.x] = np.median(sides, axis=0).astype(np.uint8)
    return out


def encode(rules: list[Rule]) -> bytes:
    """The payload (see the module docstring); b"" when there are none."""
    if not rules:
        return b""
    cols = np.array([[r.x, r.y, r.w, r.h] for r in rules], "<u2").T
    colours = np.array([r.colour for r in rules], np.uint8).T
    return _COUNT.pack(len(rules)) + deflate(cols.tobytes() + colours.tobytes())


def paint(data: bytes, canvas: np.ndarray) -> None:
    """Paint the rules coded in `data` onto `canvas` (RGB uint8) in place."""
    if len(data) < _COUNT.size:
        raise BaseLayerError("truncated rules payload")
    (count,) = _COUNT.unpack_from(data)
    if not 0 < count <= MAX_RULES:
        raise BaseLayerError(f"bad rule count {count}")
    want = count * 11
    raw = inflate_exact(data[_COUNT.size:], want, "rules table")
    x, y, w, h = np.frombuffer(raw[:count * 8], "<u2").reshape(4, count).astype(np.int64)
    colours = np.frombuffer(raw[count * 8:], np.uint8).reshape(3, count).T
    height, width = canvas.shape[:2]
    if (w == 0).any() or (h == 0).any() or (x + w > width).any() or (y + h > height).any():
        raise BaseLayerError("rule outside the image")
    for i in range(count):
        canvas[y[i]:y[i] + h[i], x[i]:x[i] + w[i]] = colours[i]

"""Text-like ink that OCR did not return: the base layer must keep it legible too.

OCR misses some words (faint, tiny, odd fonts). Left to the low-rate base they blur away; as
region-of-interest boxes they stay as honest pixels. This finds word-sized clusters of ink that
no OCR word covers.
"""

from __future__ import annotations

import cv2
import numpy as np
from PIL import Image

from picd_desktop.text.layer import Box, TextLayer
from picd_desktop.text.ocr_prep import normalise_ink, to_rgb_array

INK_LEVEL = 128  # normalised ink image: below this is ink
MIN_HEIGHT, MAX_HEIGHT = 5, 40  # px: text-sized clusters only
MIN_INK = 12  # px of ink in a cluster
MAX_FILL = 0.6  # ink share of the box: solid blocks (icons, bars) are not text
WORD_GAP = 4  # px: letters closer than this are one cluster
COVER_MARGIN = 2  # px around known word boxes


def residual_ink_boxes(image: Image.Image, layer: TextLayer) -> list[Box]:
    """Boxes of text-sized ink clusters that no word of `layer` covers."""
    rgb = to_rgb_array(image)
    h, w = rgb.shape[:2]
    ink = normalise_ink(rgb) < INK_LEVEL
    for line, word in layer.words():
        x0, y0, x1, y1 = line.word_box(word)
        ink[max(0, y0 - COVER_MARGIN) : y1 + COVER_MARGIN,
            max(0, x0 - COVER_MARGIN) : x1 + COVER_MARGIN] = False
    if not ink.any():
        return []
    joined = cv2.dilate(ink.astype(np.uint8), np.ones((1, 2 * WORD_GAP + 1), np.uint8))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(joined, connectivity=8)
    boxes: list[Box] = []
    for index in range(1, count):
        x, y, bw, bh, _area = stats[index]
        if not MIN_HEIGHT <= bh <= MAX_HEIGHT:
            continue
        region = ink[y : y + bh, x : x + bw] & (labels[y : y + bh, x : x + bw] == index)
        cols = np.flatnonzero(region.any(axis=0))
        if cols.size == 0:
            continue
        x0, x1 = x + int(cols[0]), x + int(cols[-1]) + 1
        pixels = int(region.sum())
        if pixels < MIN_INK or pixels > MAX_FILL * (x1 - x0) * bh or x1 - x0 < 3:
            continue
        boxes.append((x0, int(y), x1, int(y + bh)))
    return [(x0, y0, min(x1, w), min(y1, h)) for x0, y0, x1, y1 in boxes]

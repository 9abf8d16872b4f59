"""Rules: thin table lines and separators are found, coded and painted back; text is not a rule."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from picd_desktop.base import rules
from picd_desktop.base.classic import ClassicCodec
from picd_desktop.format.errors import BaseLayerError
from picd_desktop.text.fonts import load_font


def _table(anti_aliased: bool) -> np.ndarray:
    """A white sheet with a grid (1 px, or 2 px anti-aliased) and text in its cells."""
    img = Image.new("RGB", (400, 200), (255, 255, 255))
    draw = ImageDraw.Draw(img)
    font = load_font(0, 13)
    for y in range(20, 200, 24):
        draw.line((0, y, 399, y), fill=(214, 216, 220))
        if anti_aliased:
            draw.line((0, y + 1, 399, y + 1), fill=(236, 237, 240))
    for x in range(60, 400, 90):
        draw.line((x, 0, x, 199), fill=(214, 216, 220))
    for i, y in enumerate(range(24, 190, 24)):
        draw.text((66, y + 2), f"Central {i}", font=font, fill=(20, 20, 20))
        draw.text((150, y + 2), f"{i * 1234.5:,.2f}", font=font, fill=(20, 20, 20))
    return np.asarray(img)


@pytest.mark.parametrize("anti_aliased", [False, True])
def test_grid_lines_are_found_and_painted_back(anti_aliased: bool) -> None:
    arr = _table(anti_aliased)
    found = rules.detect(arr)
    assert any(r.h == 1 and r.y == 20 and r.w > 300 for r in found)  # crossings bridged
    assert any(r.w == 1 and r.x == 60 and r.h > 150 for r in found)
    assert all(r.w == 1 or r.h == 1 for r in found)
    text_rows = {y for y in range(26, 200) if y % 24 not in (20, 21)}
    assert not [r for r in found if r.h == 1 and r.y in text_rows and r.w > 40]
    erased = rules.erase(arr, found)
    assert np.abs(erased[20, 5:55].astype(int) - 255).max() <= 2  # the line is gone
    canvas = erased.copy()
    rules.paint(rules.encode(found), canvas)
    for r in found:
        assert np.abs(canvas[r.y:r.y + r.h, r.x:r.x + r.w].astype(int)
                      - arr[r.y:r.y + r.h, r.x:r.x + r.w]).mean() < 3


def test_edges_text_and_photos_are_not_rules() -> None:
    img = np.full((120, 200, 3), 250, np.uint8)
    img[60:] = (40, 60, 90)  # an edge between two regions
    assert rules.detect(img) == []
    rng = np.random.default_rng(0)
    assert rules.detect(rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)) == []
    assert rules.encode([]) == b""


def test_table_lines_survive_the_classic_codec() -> None:
    arr = _table(anti_aliased=False)
    codec = ClassicCodec()
    out = np.asarray(codec.decode(codec.encode(Image.fromarray(arr), 1), (400, 200)))
    assert np.abs(out[20, 5:395].astype(int) - arr[20, 5:395]).mean() < 4
    assert np.abs(out[5:195, 60].astype(int) - arr[5:195, 60]).mean() < 4


def test_corrupt_rules_payload_is_an_error() -> None:
    data = rules.encode(rules.detect(_table(False)))
    canvas = np.zeros((200, 400, 3), np.uint8)
    for bad in (b"", data[:1], data[:-1], b"\x00\x00" + data[2:], data + b"\x00"):
        with pytest.raises(BaseLayerError):
            rules.paint(bad, canvas.copy())
    with pytest.raises(BaseLayerError):  # rules outside a smaller canvas
        rules.paint(data, np.zeros((50, 50, 3), np.uint8))

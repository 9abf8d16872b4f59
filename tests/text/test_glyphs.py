"""Glyph drawing and the shipped fontset."""

from __future__ import annotations

import numpy as np
import pytesseract
import pytest
from PIL import Image

from picd_desktop.format.errors import UnknownModelError
from picd_desktop.text import fonts
from picd_desktop.text.glyphs import draw_glyphs
from picd_desktop.text.layer import Block, Line, TextLayer, Word


def _layer() -> TextLayer:
    top = Line(
        y0=10, y1=40, baseline=34, font_id=5, font_size=28, fg=(20, 20, 160), bg=(255, 255, 255),
        words=(Word("Quick", 10, 90), Word("brown", 104, 190), Word("hidden", 204, 300, False)),
    )
    bottom = Line(
        y0=60, y1=90, baseline=84, font_id=0, font_size=26, fg=(0, 0, 0), bg=(255, 255, 255),
        words=(Word("Export", 10, 100), Word("settings", 114, 230)),
    )
    return TextLayer(width=320, height=100, blocks=(Block((top, bottom)),))


def test_fontset_hash_matches_the_shipped_files() -> None:
    assert fonts.compute_fontset_sha256() == fonts.FONTSET_SHA256
    fonts.check_fontset(fonts.FONTSET_ID, fonts.FONTSET_SHA256)
    assert all(fonts.font_path(i).is_file() for i in fonts.font_ids())


def test_unknown_fontset_or_font_raises() -> None:
    with pytest.raises(UnknownModelError):
        fonts.check_fontset("fonts-v0", fonts.FONTSET_SHA256)
    with pytest.raises(UnknownModelError):
        fonts.check_fontset(fonts.FONTSET_ID, "0" * 64)
    with pytest.raises(UnknownModelError):
        fonts.load_font(len(fonts.FONTS), 12)
    with pytest.raises(UnknownModelError):
        fonts.load_font(0, 0)


def test_draw_glyphs_is_deterministic_and_sized() -> None:
    a, b = draw_glyphs(_layer()), draw_glyphs(_layer())
    assert a.mode == "RGBA" and a.size == (320, 100)
    assert a.tobytes() == b.tobytes()


def test_drawn_words_read_back_and_undrawn_words_stay_empty() -> None:
    glyphs = draw_glyphs(_layer())
    alpha = np.asarray(glyphs)[..., 3]
    assert alpha[8:42, 200:310].max() == 0  # "hidden" is not drawn
    assert alpha[8:42, 10:90].max() == 255
    rgba = np.asarray(glyphs)
    solid = rgba[..., 3] == 255
    assert {tuple(p) for p in rgba[solid][:, :3]} == {(20, 20, 160), (0, 0, 0)}
    white = Image.new("RGB", glyphs.size, "white")
    white.paste(glyphs, mask=glyphs.getchannel("A"))
    words = pytesseract.image_to_string(white, config="--psm 6").split()
    assert words == ["Quick", "brown", "Export", "settings"]


def test_empty_layer_draws_nothing() -> None:
    glyphs = draw_glyphs(TextLayer(width=7, height=5))
    assert glyphs.size == (7, 5) and glyphs.getbbox() is None

"""Glyph drawing and the shipped fontset."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytesseract
import pytest
from PIL import Image, ImageFont, features

from picd_desktop.format.errors import UnknownModelError
from picd_desktop.text import fonts, glyphs
from picd_desktop.text.glyphs import draw_glyphs
from picd_desktop.text.layer import Block, Line, TextLayer, Word
from picd_desktop.text.palette import build_palette, snap_colours


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


def test_font_twins_share_a_file_and_draw_differently() -> None:
    assert len(fonts.FONTS) == 3 * fonts.N_FILES
    twins = fonts.font_twins(11 + fonts.N_FILES)
    assert twins == (11, 11 + fonts.N_FILES, 11 + 2 * fonts.N_FILES)
    assert len({fonts.font_path(t) for t in twins}) == 1
    bitmaps = [glyphs.word_bitmap(t, 15, "Wave tables")[0] for t in twins]
    assert all(b.dtype == np.uint8 and b.max() > 200 for b in bitmaps)
    # Hinted advances are whole pixels, unhinted ones are not: the words differ in width.
    assert bitmaps[0].shape[1] != bitmaps[1].shape[1] or not np.array_equal(*bitmaps[:2])
    assert not np.array_equal(bitmaps[1], bitmaps[2])  # 3x shapes, box-filtered


@pytest.mark.skipif(not features.check("raqm"), reason="needs Pillow with Raqm to compare")
@pytest.mark.parametrize("font_id", [11, 5, 9])  # Open Sans (legacy kern), Liberation, Roboto
def test_fractional_advances_and_kerning_match_harfbuzz(font_id: int) -> None:
    fid = font_id + fonts.N_FILES
    raqm = ImageFont.truetype(str(fonts.font_path(fid)), 15, layout_engine=ImageFont.Layout.RAQM)
    for text in ("AVA", "Te", "ra", "Wave", "yoke"):
        ours = sum(glyphs.advance(fid, 15, c) for c in text)
        ours += sum(glyphs.kern(fid, 15, a, b) for a, b in zip(text, text[1:], strict=False))
        assert abs(ours - raqm.getlength(text)) < 0.05, text
    assert glyphs.kern(font_id, 15, "T", "e") == 0.0  # hinted ids never kern


def test_supersampled_word_is_the_3x_word_averaged() -> None:
    fid = 0 + 2 * fonts.N_FILES
    small, left, top = glyphs.word_bitmap(fid, 12, "Hi")
    big, big_left, big_top = glyphs.word_bitmap(0 + fonts.N_FILES, 36, "Hi")
    assert (left, top) == (big_left // 3, big_top // 3)
    assert abs(int(small.astype(int).sum()) * 9 - int(big.astype(int).sum())) < 9 * small.size


def test_palette_snaps_near_colours_to_the_most_frequent() -> None:
    mapping = build_palette([(30, 30, 30)] * 3 + [(33, 31, 29), (250, 250, 250), (200, 0, 0)])
    assert mapping[(33, 31, 29)] == (30, 30, 30)
    assert mapping[(250, 250, 250)] == (250, 250, 250)
    assert mapping[(200, 0, 0)] == (200, 0, 0)
    line = _layer().blocks[0].lines[0]
    jitter = replace(line, fg=(22, 18, 163))
    layer = replace(_layer(), blocks=(Block((line, jitter, line)),))
    assert {ln.fg for ln in snap_colours(layer).lines()} == {(20, 20, 160)}

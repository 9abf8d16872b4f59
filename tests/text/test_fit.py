"""Layer fitting, word verification and text removal on real renders and real Tesseract."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont, features

from picd_desktop.format.errors import InputImageError
from picd_desktop.text.fit import FitConfig, build_layer, fit_layer, variants
from picd_desktop.text.fonts import font_path, font_twins, load_font
from picd_desktop.text.inpaint import coverage, remove_drawn_text
from picd_desktop.text.layer import Block, Line, TextLayer, Word
from picd_desktop.text.ocr import run_ocr
from picd_desktop.text.ocr_types import OcrPage

LINES = ["Export settings before closing", "Download the release notes"]


def _render(font_id: int, size: int, fg=(30, 30, 30), bg=(250, 250, 250)) -> Image.Image:
    """Text drawn with a shipped font at a known size (BASIC layout, as the decoder draws)."""
    img = Image.new("RGB", (420, 40 + 2 * size * 2), bg)
    draw = ImageDraw.Draw(img)
    font = load_font(font_id, size)
    for i, text in enumerate(LINES):
        draw.text((12, 20 + i * 2 * size), text, font=font, fill=fg)
    return img


@pytest.fixture(scope="module")
def dejavu14() -> tuple[Image.Image, OcrPage]:
    img = _render(0, 14)
    return img, run_ocr(img)


@pytest.mark.parametrize(("font_id", "size"), [(0, 14), (5, 15), (9, 16)])
def test_fit_finds_the_font_size(font_id: int, size: int) -> None:
    img = _render(font_id, size)
    layer = fit_layer(img, run_ocr(img))
    lines = list(layer.lines())
    assert len(lines) == 2
    for line in lines:
        assert abs(line.font_size - size) <= 1
    assert sum(w.drawn for _, w in layer.words()) >= 6  # exact font: most words verify


def test_wrong_ocr_word_is_not_drawn(dejavu14: tuple[Image.Image, OcrPage]) -> None:
    img, page = dejavu14
    wrong = {"settings": "settlngs", "release": "relcase", "Download": "Downlaod"}

    def corrupt(block):
        lines = []
        for line in block.lines:
            words = tuple(
                dataclasses.replace(w, text=wrong.get(w.text, w.text)) for w in line.words
            )
            lines.append(dataclasses.replace(line, words=words))
        return dataclasses.replace(block, lines=tuple(lines))

    bad_page = dataclasses.replace(page, blocks=tuple(corrupt(b) for b in page.blocks))
    layer, _, roi = build_layer(img, bad_page)
    drawn = {w.text: w.drawn for _, w in layer.words()}
    for text in wrong.values():
        assert text in drawn and not drawn[text]
    assert {w for w, ok in drawn.items() if ok} == {"Export", "before", "closing"}
    # "Downlaod the relcase notes": most of the line fails, so none of it is drawn
    assert not drawn["the"] and not drawn["notes"]
    undrawn = [line.word_box(w) for line, w in layer.words() if not w.drawn]
    assert roi == undrawn


def test_inpaint_removes_word_ink_but_keeps_a_rule() -> None:
    img = _render(0, 14)
    draw = ImageDraw.Draw(img)
    draw.line((0, 27, 419, 27), fill=(30, 30, 30))  # a rule through the first line's x-height
    page = run_ocr(img)
    layer, cleaned, _ = build_layer(img, page, FitConfig(min_conf=0.0))
    drawn = [(line, w) for line, w in layer.words() if w.drawn]
    assert drawn
    out = np.asarray(cleaned)
    for line, w in drawn:
        x0, y0, x1, y1 = line.word_box(w)
        ink = coverage(out[y0:y1, x0:x1], line.fg, line.bg) > 0.3
        ink[27 - y0 : 28 - y0] = False  # the rule's row may stay
        assert not ink.any(), w.text
    rule = coverage(out[27:28, 5:415], (30, 30, 30), (250, 250, 250))
    assert (rule > 0.8).mean() > 0.95


def test_inpaint_touches_only_drawn_words() -> None:
    img = _render(0, 14)
    line = Line(y0=18, y1=40, baseline=34, font_id=0, font_size=14, fg=(30, 30, 30),
                bg=(250, 250, 250), words=(Word("Export", 12, 60, drawn=False),))
    layer = TextLayer(width=img.width, height=img.height, blocks=(Block((line,)),))
    assert remove_drawn_text(img, layer).tobytes() == img.tobytes()


def test_variants_cover_common_ocr_confusions() -> None:
    assert "3.1" in variants("31") or "31" in variants("3.1")
    assert "return" in variants("retum")
    assert "reversed()" in variants("xeversed()")


def test_mismatched_page_is_a_typed_error(dejavu14: tuple[Image.Image, OcrPage]) -> None:
    img, page = dejavu14
    with pytest.raises(InputImageError):
        fit_layer(img.crop((0, 0, 100, 20)), page)


def _browser_render(subpixel: bool = False) -> tuple[Image.Image, list[str]]:
    """Open Sans laid out by HarfBuzz (Raqm) at fractional x, as a browser draws it.

    With `subpixel`, drawn 3x larger and reduced to ClearType-like RGB sub-pixel colours.
    """
    ss = 3 if subpixel else 1
    font = ImageFont.truetype(
        str(font_path(11)), 15 * ss, layout_engine=ImageFont.Layout.RAQM
    )
    words = [
        "Branches", "are", "cheap", "and", "easy,", "so", "this", "is", "a", "good", "way",
        "to", "try", "something",
    ]
    img = Image.new("RGB", (560 * ss, 40 * ss), (255, 255, 255))
    draw = ImageDraw.Draw(img)
    x = 10.3 * ss
    for word in words:
        draw.text((x, 28 * ss), word, font=font, fill=(30, 30, 30), anchor="ls")
        x += font.getlength(word + " ")
    if subpixel:
        a = np.asarray(img, dtype=np.float32)
        rows = a.reshape(a.shape[0] // 3, 3, a.shape[1], 3).mean(axis=1)
        k = np.array([1, 2, 3, 2, 1], np.float32) / 9.0
        filt = np.apply_along_axis(lambda r: np.convolve(np.pad(r, 2, "edge"), k, "valid"), 1, rows)
        img = Image.fromarray(
            np.clip(np.stack([filt[:, c::3, c] for c in range(3)], -1) + 0.5, 0, 255).astype(
                np.uint8
            )
        )
    return img, words


@pytest.mark.skipif(not features.check("raqm"), reason="needs Pillow with Raqm")
@pytest.mark.parametrize("subpixel", [False, True])
def test_browser_text_is_drawn_and_right(subpixel: bool) -> None:
    img, truth = _browser_render(subpixel=subpixel)
    layer, _, _ = build_layer(img, run_ocr(img))
    drawn = [w.text for _, w in layer.words() if w.drawn]
    assert len(drawn) >= 0.6 * len(truth), drawn
    assert all(text in truth for text in drawn), drawn  # never a wrong word
    assert {line.font_id for line in layer.lines()} <= set(font_twins(11)) | set(font_twins(12))


def test_a_lone_case_twin_word_is_not_drawn() -> None:
    img = Image.new("RGB", (80, 40), (255, 255, 255))
    ImageDraw.Draw(img).text((20, 8), "Cow", font=load_font(0, 20), fill=(0, 0, 0))
    page = run_ocr(img)
    swapped = dataclasses.replace(page, blocks=tuple(
        dataclasses.replace(b, lines=tuple(
            dataclasses.replace(ln, words=tuple(
                dataclasses.replace(w, text=w.text.lower()) for w in ln.words
            )) for ln in b.lines
        )) for b in page.blocks
    ))
    for candidate in (page, swapped):
        layer = fit_layer(img, candidate)
        assert layer.word_count == 1
        assert not any(w.drawn for _, w in layer.words())


def test_case_twins_are_variants() -> None:
    assert "Sox" in variants("sox") and "cOw" in variants("cow")
    assert "command" in variants("cornmand") and "Effects..." in variants("Effects..")


def test_digit_lookalikes_are_variants() -> None:
    assert {"440", "446", "449"} <= set(variants("448"))
    assert "3.7" in variants("3.1") and "31" in variants("3.1")


def test_a_word_cut_by_the_left_border_is_not_drawn_or_shifted_out():
    from picd_desktop.text.fit import WordCheck, decide_line

    good = WordCheck(conf=96.0, width_err=0.0, dice=1.0, window_err=0.0, blob=0.0, margin=1.0,
                     dx=-1, drawable=True)
    line = Line(y0=0, y1=20, baseline=15, font_id=0, font_size=14, fg=(0, 0, 0),
                bg=(255, 255, 255), words=(Word("an", 0, 16), Word("elsewhere", 70, 100)))
    out = decide_line(line, [good, good], FitConfig())
    assert out.words[0].x0 == 0 and not out.words[0].drawn  # would start at x = -1
    assert out.words[1].drawn and (out.words[1].x0, out.words[1].x1) == (69, 99)

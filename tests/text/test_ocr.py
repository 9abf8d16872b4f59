"""OCR on rendered screenshots: recall, boxes, line statistics, errors (real Tesseract)."""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from picd_desktop.format.errors import InputImageError, OcrFailedError, OcrUnavailableError
from picd_desktop.text.layer import Box
from picd_desktop.text.ocr import OcrOptions, available_languages, run_ocr
from picd_desktop.text.ocr_prep import (
    INK_THRESHOLD,
    group_bands,
    make_mosaic,
    normalise_ink,
    split_strips,
    text_bands,
    text_rows,
)
from picd_desktop.text.ocr_types import OcrLine, OcrPage

os.environ["OMP_THREAD_LIMIT"] = "1"
FONTS = Path("/usr/share/fonts/truetype")
SANS = FONTS / "dejavu/DejaVuSans.ttf"
LIB = FONTS / "liberation2/LiberationSans-Regular.ttf"


@dataclass
class Drawn:
    text: str
    box: Box
    baseline: int
    fg: tuple[int, int, int]
    bg: tuple[int, int, int]
    x_height: int


def _font(path: Path, size: int) -> ImageFont.FreeTypeFont:
    if not path.exists():
        pytest.skip(f"font {path} not installed")
    return ImageFont.truetype(str(path), size)


def _draw_line(
    draw: ImageDraw.ImageDraw, x: int, base: int, text: str, font, fg, bg, out: list[Drawn]
) -> None:
    xb = draw.textbbox((0, base), "x", font=font, anchor="ls")
    for word in text.split():
        draw.text((x, base), word, font=font, fill=fg, anchor="ls")
        box = draw.textbbox((x, base), word, font=font, anchor="ls")
        out.append(Drawn(word, box, base, fg, bg, xb[3] - xb[1]))
        x += int(font.getlength(word + " "))


def _screen() -> tuple[Image.Image, list[Drawn]]:
    """Title bar, dark 13 px sidebar, light main text, a blue button."""
    img = Image.new("RGB", (760, 300), (255, 255, 255))
    d = ImageDraw.Draw(img)
    drawn: list[Drawn] = []
    title, side, blue = (43, 43, 43), (37, 37, 38), (14, 99, 156)
    d.rectangle((0, 0, 759, 29), fill=title)
    _draw_line(
        d, 12, 20, "Settings - Network Preferences", _font(SANS, 13), (235, 235, 235), title, drawn
    )
    d.rectangle((0, 30, 179, 299), fill=side)
    for i, item in enumerate(
        [
            "Explorer",
            "Search files",
            "Source control",
            "Extensions",
            "Run and debug",
            "Remote window",
            "Accounts",
        ]
    ):
        _draw_line(d, 14, 58 + 24 * i, item, _font(SANS, 13), (204, 204, 204), side, drawn)
    body = _font(LIB, 15)
    for i, text in enumerate(
        [
            "The quick brown fox jumps over the lazy dog.",
            "Compression keeps every word of the page exact.",
            "Total: 1234 items selected in 56 folders today",
        ]
    ):
        _draw_line(d, 204, 66 + 26 * i, text, body, (33, 33, 33), (255, 255, 255), drawn)
    d.rounded_rectangle((204, 170, 304, 200), 4, fill=blue)
    _draw_line(d, 222, 190, "Install", _font(SANS, 14), (255, 255, 255), blue, drawn)
    return img, drawn


@pytest.fixture(scope="module")
def screen() -> tuple[OcrPage, list[Drawn]]:
    img, drawn = _screen()
    return run_ocr(img), drawn


def _overlaps(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _line_of(page: OcrPage, d: Drawn) -> OcrLine | None:
    for line in page.lines():
        for w in line.words:
            if w.text == d.text and _overlaps(w.box, d.box):
                return line
    return None


def _recall(page: OcrPage, drawn: list[Drawn]) -> float:
    return sum(_line_of(page, d) is not None for d in drawn) / len(drawn)


def test_recall_on_mixed_themes(screen) -> None:
    page, drawn = screen
    assert page.width == 760 and page.height == 300 and page.lang == "eng"
    assert _recall(page, drawn) >= 0.9
    sidebar = [d for d in drawn if d.box[2] < 180 and d.box[1] > 30]
    assert _recall(page, sidebar) >= 0.9
    button = [d for d in drawn if d.text == "Install"]
    assert _recall(page, button) == 1.0


def test_word_boxes_match_drawn_boxes(screen) -> None:
    page, drawn = screen
    for d in drawn:
        line = _line_of(page, d)
        if line is None:
            continue
        w = next(w for w in line.words if w.text == d.text and _overlaps(w.box, d.box))
        assert all(abs(a - b) <= 3 for a, b in zip(w.box, d.box, strict=True)), (w, d)
        assert 0 <= w.conf <= 100


def test_line_statistics(screen) -> None:
    page, drawn = screen
    checked = 0
    for d in drawn:
        line = _line_of(page, d)
        if line is None:
            continue
        checked += 1
        assert abs(line.baseline - d.baseline) <= 1, (line, d)
        assert max(abs(a - b) for a, b in zip(line.bg, d.bg, strict=True)) <= 3, (line, d)
        assert max(abs(a - b) for a, b in zip(line.fg, d.fg, strict=True)) <= 40, (line, d)
        assert line.inverted == (sum(d.fg) > sum(d.bg))
        assert line.bg_noise < 1.0
        if line.x_height:
            assert abs(line.x_height - d.x_height) <= 1.5, (line, d)
        assert line.box[0] <= d.box[0] + 3 and line.box[2] >= d.box[2] - 3
    assert checked >= 0.9 * len(drawn)


def test_lines_do_not_span_columns(screen) -> None:
    page, _ = screen
    body = [line for line in page.lines() if line.box[1] >= 30]  # below the title bar
    assert body
    for line in body:
        assert line.box[2] <= 180 or line.box[0] >= 180, line


def test_noisy_background_is_flagged() -> None:
    rng = np.random.default_rng(0)
    arr = np.clip(rng.normal(200, 25, (60, 400, 3)), 0, 255).astype(np.uint8)
    img = Image.fromarray(arr)
    d = ImageDraw.Draw(img)
    drawn: list[Drawn] = []
    _draw_line(
        d, 10, 40, "Holiday photo caption", _font(SANS, 22), (0, 0, 0), (200, 200, 200), drawn
    )
    page = run_ocr(img)
    lines = list(page.lines())
    assert lines and max(line.bg_noise for line in lines) > 8


def test_blank_images_give_no_words() -> None:
    assert run_ocr(Image.new("RGB", (320, 200), (255, 255, 255))).blocks == ()
    assert run_ocr(Image.new("RGB", (320, 200), (30, 30, 30))).blocks == ()
    empty = run_ocr(Image.new("RGB", (0, 0)))
    assert (empty.width, empty.height, empty.blocks) == (0, 0, ())


def test_rgba_and_grey_inputs() -> None:
    img, drawn = _screen()
    crop = img.crop((190, 45, 620, 100))
    grey = run_ocr(crop.convert("L"))
    rgba = run_ocr(crop.convert("RGBA"))
    assert {w.text for w in grey.words()} >= {"quick", "brown", "Compression", "exact."}
    assert [w.text for w in rgba.words()] == [w.text for w in run_ocr(crop).words()]


def test_unknown_language_raises() -> None:
    assert "eng" in available_languages()
    with pytest.raises(OcrUnavailableError, match="tesseract-ocr-xyz"):
        run_ocr(Image.new("RGB", (50, 50), "white"), lang="xyz")


def test_not_an_image_raises() -> None:
    with pytest.raises(InputImageError):
        run_ocr(b"not an image")  # type: ignore[arg-type]
    buf = io.BytesIO()
    Image.new("RGB", (300, 300), "red").save(buf, "PNG")
    truncated = Image.open(io.BytesIO(buf.getvalue()[:200]))
    with pytest.raises(InputImageError):
        run_ocr(truncated)


def test_normalise_makes_dark_ink_on_white() -> None:
    img, drawn = _screen()
    norm = normalise_ink(np.asarray(img))
    for d in drawn:
        x0, y0, x1, y1 = d.box
        assert norm[y0:y1, x0:x1].min() < 60, d  # ink is dark on every background
    assert np.median(norm) == 255  # backgrounds (dark ones included) are white
    assert norm[200:300, 400:700].min() > 200  # empty area stays white


def test_strips_never_cut_text() -> None:
    img, drawn = _screen()
    norm = normalise_ink(np.asarray(img))
    strips = split_strips(norm, 2, min_rows=40)
    assert len(strips) == 2
    assert strips[0][0] == 0 and strips[-1][1] == 300 and strips[0][1] == strips[1][0]
    cut = strips[0][1]
    assert not text_rows(norm)[cut]
    assert not any(d.box[1] < cut < d.box[3] for d in drawn)


def test_blocks_in_reading_order(screen) -> None:
    page, _ = screen
    tops = [(b.lines[0].box[1], b.lines[0].box[0]) for b in page.blocks]
    assert tops == sorted(tops)
    for block in page.blocks:
        assert block.lines, "no empty blocks"


def _two_sizes() -> tuple[Image.Image, list[Drawn]]:
    """Small text top left, large text lower right, blank elsewhere."""
    img = Image.new("RGB", (900, 400), (250, 250, 250))
    d = ImageDraw.Draw(img)
    drawn: list[Drawn] = []
    ink, bg = (20, 20, 20), (250, 250, 250)
    _draw_line(d, 40, 50, "Small status text here", _font(SANS, 11), ink, bg, drawn)
    _draw_line(d, 300, 250, "Large Heading Words", _font(LIB, 40), ink, bg, drawn)
    return img, drawn


def test_bands_skip_blank_areas_and_upscale_only_small_text() -> None:
    img, drawn = _two_sizes()
    norm = normalise_ink(np.asarray(img))
    bands = text_bands(norm, 2)
    assert len(bands) == 2
    small, large = bands
    assert (small.factor, large.factor) == (2, 1)
    covered = np.zeros(norm.shape, bool)
    for b in bands:
        covered[b.y0 : b.y1, b.x0 : b.x1] = True
    assert not (norm[~covered] < INK_THRESHOLD).any()  # no ink is left out
    for band, words in ((small, drawn[:4]), (large, drawn[4:])):
        for w in words:  # every word inside its band (PIL's boxes are ~2 px generous)
            assert band.x0 <= w.box[0] + 3 and w.box[2] - 3 <= band.x1, (band, w)
            assert band.y0 <= w.box[1] + 3 and w.box[3] - 3 <= band.y1, (band, w)
    assert large.x0 > 250 and small.x1 < 300  # cropped to the ink columns
    assert small.y1 < 100 and large.y0 > 150  # the blank rows between them are dropped


def test_mosaic_maps_boxes_back_to_the_page() -> None:
    img, _ = _two_sizes()
    norm = normalise_ink(np.asarray(img))
    bands = text_bands(norm, 2)
    (group,) = group_bands(bands, 1)
    mosaic = make_mosaic(norm, group)
    assert mosaic.image.shape[0] < norm.shape[0] * 2  # blank rows are not sent to Tesseract
    for i, (band, top) in enumerate(zip(mosaic.bands, mosaic.tops, strict=True)):
        f = band.factor
        box = (4 * f, top + 2 * f, 40 * f, top + 8 * f)
        assert mosaic.to_page(box) == (i, (band.x0 + 4, band.y0 + 2, band.x0 + 40, band.y0 + 8))
        part = mosaic.image[top : top + (band.y1 - band.y0) * f, : (band.x1 - band.x0) * f]
        assert part.min() < 60  # the band's ink is there


def test_group_bands_keeps_order_and_covers_all() -> None:
    img, _ = _screen()
    bands = text_bands(normalise_ink(np.asarray(img)), 2)
    for parts in (1, 2, 3, 50):
        groups = group_bands(bands, parts)
        assert 1 <= len(groups) <= min(parts, len(bands))
        assert [b for g in groups for b in g] == bands
    assert group_bands([], 2) == []


def test_large_text_read_at_1x_and_small_at_2x() -> None:
    img, drawn = _two_sizes()
    page = run_ocr(img)
    found = {w.text: w.box for w in page.words()}
    for d in drawn:
        assert d.text in found, (d, found)
        assert all(abs(a - b) <= 3 for a, b in zip(found[d.text], d.box, strict=True)), d


def test_strip_layout_reads_the_same_words(screen) -> None:
    page, drawn = screen
    img, _ = _screen()
    strips = run_ocr(img, options=OcrOptions(layout="strips"))
    assert _recall(strips, drawn) >= 0.9
    a, b = {w.text for w in page.words()}, {w.text for w in strips.words()}
    assert len(a & b) >= 0.9 * max(len(a), len(b))


def test_tesseract_timeout_raises_ocr_failed() -> None:
    img, _ = _screen()
    with pytest.raises(OcrFailedError, match="did not finish"):
        run_ocr(img, options=OcrOptions(timeout_s=0.001))


def test_tesseract_error_raises_ocr_failed() -> None:
    img, _ = _screen()
    with pytest.raises(OcrFailedError, match="exit status"):
        run_ocr(img, options=OcrOptions(psm=99))  # Tesseract exits with status 1

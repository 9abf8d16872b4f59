"""Ink masks (inkmask.py) and their use in ClassicCodec: real Pillow, fonts and Tesseract."""

from __future__ import annotations

import contextlib
import os
import random

import numpy as np
import pytesseract
import pytest
from PIL import Image, ImageDraw, ImageFont

from picd_desktop.base import classic, inkmask, roi
from picd_desktop.base.classic import ClassicCodec
from picd_desktop.format.errors import BaseLayerError
from picd_desktop.text.glyphs import word_coverage
from picd_desktop.text.layer import Block, Line, TextLayer, Word

os.environ.setdefault("OMP_THREAD_LIMIT", "1")
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def word_image(text: str = "compress", size: int = 13, fg=(20, 20, 20), bg=(246, 246, 248),
               pad: int = 6) -> tuple[Image.Image, tuple[int, int, int, int]]:
    font = ImageFont.truetype(FONT, size)
    x0, y0, x1, y1 = font.getbbox(text)
    im = Image.new("RGB", (x1 - x0 + 2 * pad, y1 - y0 + 2 * pad), bg)
    ImageDraw.Draw(im).text((pad - x0, pad - y0), text, font=font, fill=fg)
    return im, (pad, pad, pad + x1 - x0, pad + y1 - y0)


def subpixel_word(text: str = "Disabled", fg=(221, 221, 221), bg=(48, 48, 48)) -> np.ndarray:
    """Text rendered at 3x width, each subpixel column mapped to an R, G, B channel (ClearType)."""
    font = ImageFont.truetype(FONT, 39)  # 3x in both directions, then 3x down vertically only
    w, h = font.getbbox(text)[2] // 3 + 8, 22
    cov = Image.new("L", (3 * w, 3 * h), 0)
    ImageDraw.Draw(cov).text((12, 12), text, font=font, fill=255)
    a = np.asarray(cov.resize((3 * w, h), Image.Resampling.BOX), np.float64) / 255
    a = a.reshape(h, w, 3)  # subpixels -> channels
    out = np.array(bg) + a * (np.array(fg) - np.array(bg))
    return np.rint(out).astype(np.uint8)


def test_two_colours_finds_bg_and_fg() -> None:
    im, _ = word_image(fg=(0, 0, 238), bg=(255, 255, 255), size=15)
    bg, fg = inkmask.two_colours(np.asarray(im))
    assert tuple(bg) == (255, 255, 255)
    assert np.abs(fg - (0, 0, 238)).max() <= 24


def test_subpixel_text_is_flat() -> None:
    assert inkmask.two_colours(subpixel_word()) is not None


def test_photo_gradient_and_blob_are_not_flat() -> None:
    rng = np.random.default_rng(0)
    noise = rng.integers(0, 256, (20, 60, 3), dtype=np.uint8)
    assert inkmask.two_colours(noise) is None
    ramp = np.linspace(0, 255, 60).astype(np.uint8)
    assert inkmask.two_colours(np.stack([np.tile(ramp, (20, 1))] * 3, -1)) is None
    im, _ = word_image(size=15)
    ImageDraw.Draw(im).ellipse((30, 2, 46, 18), fill=(200, 120, 60))  # an icon in the box
    assert inkmask.two_colours(np.asarray(im)) is None


@pytest.mark.parametrize("bits", [1, 2])
def test_masks_round_trip_close_to_the_original(bits: int) -> None:
    im, box = word_image(size=15)
    arr = np.asarray(im)
    inks, rest = inkmask.split(arr, [(0, 0, im.width, im.height)], bits)
    assert len(inks) == 1 and not rest
    erased = inkmask.erase(arr, inks)
    assert np.abs(erased.astype(int) - (246, 246, 248)).max() <= 30  # no ink left in the base
    canvas = erased.copy()
    inkmask.decode_masks(inkmask.encode_masks(inks, bits), canvas)
    err = np.abs(canvas.astype(int) - arr.astype(int)).mean()
    assert err < (12 if bits == 1 else 6)
    again = erased.copy()
    inkmask.decode_masks(inkmask.encode_masks(inks, bits), again)
    assert np.array_equal(canvas, again)


def test_masked_words_read_back_with_tesseract() -> None:
    font = ImageFont.truetype(FONT, 12)
    im = Image.new("RGB", (420, 120), (236, 238, 242))
    d = ImageDraw.Draw(im)
    words = ["compress", "quality", "window", "search"]
    boxes = []
    for i, word in enumerate(words):
        xy = (10 + 100 * i, 50)
        d.text(xy, word, font=font, fill=(30, 30, 40))
        boxes.append(d.textbbox(xy, word, font=font))
    codec = ClassicCodec()
    data = codec.encode(im, 1, roi=boxes)
    assert data[1] == 2  # ink masks only: no AVIF crops
    out = codec.decode(data, im.size).resize((840, 240), Image.Resampling.LANCZOS)
    read = pytesseract.image_to_string(out).split()
    assert set(words) <= set(read)
    plain = codec.decode(codec.encode(im, 1), im.size).resize((840, 240))
    assert not set(words) <= set(pytesseract.image_to_string(plain).split())


def test_many_boxes_pack_and_decode() -> None:
    rng = random.Random(3)
    im = Image.new("RGB", (640, 480), (250, 250, 250))
    d = ImageDraw.Draw(im)
    font = ImageFont.truetype(FONT, 11)
    boxes = []
    for i in range(60):
        xy = (rng.randrange(0, 580), (i * 8) % 470)
        boxes.append(d.textbbox(xy, f"ab{i}", font=font))
        d.text(xy, f"ab{i}", font=font, fill=(0, 0, 0))
    crops = roi.merge_boxes(boxes, im.size)
    inks, _ = inkmask.split(np.asarray(im), crops)
    canvas = inkmask.erase(np.asarray(im), inks)
    inkmask.decode_masks(inkmask.encode_masks(inks), canvas)
    assert np.abs(canvas.astype(int) - np.asarray(im, int)).mean() < 2


@pytest.fixture(scope="module")
def payload() -> tuple[bytes, np.ndarray]:
    im, _ = word_image(size=15)
    arr = np.asarray(im)
    inks, _ = inkmask.split(arr, [(0, 0, im.width, im.height)])
    return inkmask.encode_masks(inks), inkmask.erase(arr, inks)


def test_corrupt_payloads_are_errors(payload: tuple[bytes, np.ndarray]) -> None:
    data, canvas = payload
    for cut in (0, 3, 8, 20, len(data) - 5, len(data) - 1):
        with pytest.raises(BaseLayerError):
            inkmask.decode_masks(data[:cut], canvas.copy())
    for at, value in [(0, 0), (0, 3), (1, 0), (1, 255), (2, 255), (3, 255)]:
        bad = bytearray(data)
        bad[at] = value
        with pytest.raises(BaseLayerError):
            inkmask.decode_masks(bytes(bad), canvas.copy())
    with pytest.raises(BaseLayerError):  # the box lies outside a smaller canvas
        inkmask.decode_masks(data, canvas[:5, :5].copy())
    rng = random.Random(5)
    for _ in range(40):
        bad = bytearray(data)
        bad[rng.randrange(7, len(bad))] = rng.randrange(256)
        with contextlib.suppress(BaseLayerError):
            inkmask.decode_masks(bytes(bad), canvas.copy())


def test_a_foreign_stream_is_refused(payload: tuple[bytes, np.ndarray]) -> None:
    data, canvas = payload
    head = data[:7 + int.from_bytes(data[3:7], "little") + 8]
    for stream in (b"", b"\x00" * 4, bytes(range(256)) * 64, data[len(head):-4]):
        with pytest.raises(BaseLayerError):
            inkmask.decode_masks(head + stream, canvas.copy())


def _layer_for(words: list[str], font_size: int = 13) -> tuple[Image.Image, list, TextLayer]:
    """Words drawn as the glyph renderer draws them, with the text layer that says so."""
    line = Line(40, 40 + 2 * font_size, 40 + font_size, 0, font_size, (30, 30, 40),
                (236, 238, 242), tuple(Word(w, 10 + 110 * i, 10 + 110 * i + 7 * len(w), False)
                                       for i, w in enumerate(words)))
    layer = TextLayer(460, 100, blocks=(Block((line,)),))
    cov = word_coverage(layer)
    arr = np.zeros((100, 460, 3)) + (236, 238, 242)
    arr += cov[..., None] / 255 * (np.array((30, 30, 40)) - (236, 238, 242))
    boxes = [line.word_box(w) for w in line.words]
    return Image.fromarray(np.rint(arr).astype(np.uint8)), boxes, layer


def test_text_layer_prediction_shrinks_masks_and_must_match() -> None:
    im, boxes, layer = _layer_for(["compress", "quality", "window", "search"])
    arr = np.asarray(im)
    inks, _ = inkmask.split(arr, roi.merge_boxes(boxes, im.size), 1)
    pred = word_coverage(layer)
    with_pred = inkmask.encode_masks(inks, 1, pred)
    assert len(with_pred) < 0.7 * len(inkmask.encode_masks(inks, 1))
    canvas = inkmask.erase(arr, inks)
    inkmask.decode_masks(with_pred, canvas, pred)
    other = word_coverage(_layer_for(["compress", "quality", "widow", "search"])[2])
    with pytest.raises(BaseLayerError, match="draw differently"):
        inkmask.decode_masks(with_pred, inkmask.erase(arr, inks), other)
    with pytest.raises(BaseLayerError):
        inkmask.decode_masks(with_pred, inkmask.erase(arr, inks))  # no layer given


def test_classic_flags_and_cost() -> None:
    im = Image.new("RGB", (400, 200), (255, 255, 255))
    d = ImageDraw.Draw(im)
    font = ImageFont.truetype(FONT, 13)
    boxes = []
    for i in range(8):
        xy = (10 + 190 * (i % 2), 10 + 24 * (i // 2))
        d.text(xy, f"word{i}", font=font, fill=(0, 0, 0))
        boxes.append(d.textbbox(xy, f"word{i}", font=font))
    codec = ClassicCodec()
    data = codec.encode(im, 2, roi=boxes)
    assert data[1] == 2
    crops = roi.encode_roi(im, boxes, lambda t: classic.avif_encode(t, 42))
    masks = len(data) - len(codec.encode(im, 2))
    assert masks < len(crops) / 2


def test_base_holds_no_blurred_copy_of_masked_words() -> None:
    im, box = word_image(size=15)
    im = im.resize((im.width * 2, im.height * 2))
    codec = ClassicCodec()
    data = codec.encode(im, 2, roi=[(0, 0, im.width, im.height)])
    head = classic._HEAD.unpack_from(data)
    assert head[1] == 2
    n = head[-1]
    base_only = bytes([data[0], 0]) + data[2:classic._HEAD.size + n]
    base = np.asarray(codec.decode(base_only, im.size), int)
    with_text = np.asarray(codec.decode(data, im.size), int)
    assert np.abs(base - (246, 246, 248)).max() <= 12  # no ink under the mask
    assert np.abs(with_text - (246, 246, 248)).max() > 150

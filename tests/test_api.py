"""The public API end to end: real OCR, real codecs, real files."""

from __future__ import annotations

import dataclasses
import io

import numpy as np
import pytest
from PIL import Image
from screens import render_screenshot

from picd_desktop import api
from picd_desktop.format import container
from picd_desktop.format.errors import (
    FormatError,
    InputImageError,
    PicdError,
    UnknownModelError,
)


@pytest.fixture(scope="module")
def encoded() -> bytes:
    return api.encode(render_screenshot(), quality=3)


def test_round_trip_keeps_size_and_text(encoded: bytes) -> None:
    image = api.decode(encoded)
    assert image.size == (720, 360) and image.mode == "RGB"
    text = api.read_text(encoded).text
    for word in ("quick", "brown", "Compression", "screenshots", "Preferences"):
        assert word in text


def test_file_is_far_smaller_than_png(encoded: bytes, screenshot: Image.Image) -> None:
    png = io.BytesIO()
    screenshot.save(png, "PNG", optimize=True)
    assert len(encoded) < png.tell() / 2


def test_info_reports_components_and_words(encoded: bytes) -> None:
    meta = api.info(encoded)
    assert (meta.width, meta.height) == (720, 360)
    assert {"base", "text", "glyphs"} <= set(meta.components)
    assert meta.words >= 20 and 0 < meta.drawn_words <= meta.words
    assert meta.bpp == pytest.approx(8 * len(encoded) / (720 * 360))
    assert not meta.lossless


def test_lossless_is_exact(screenshot: Image.Image) -> None:
    data = api.encode(screenshot, lossless=True)
    assert api.info(data).lossless
    assert np.array_equal(np.asarray(api.decode(data)), np.asarray(screenshot))
    assert "quick" in api.read_text(data).text


def test_target_bpp_is_respected(screenshot: Image.Image) -> None:
    small = api.encode(screenshot, target_bpp=0.3)
    assert 8 * len(small) / (720 * 360) <= 0.3


def test_quality_orders_sizes(screenshot: Image.Image) -> None:
    low, high = api.encode(screenshot, quality=1), api.encode(screenshot, quality=8)
    assert len(low) < len(high)


def test_image_without_text(tmp_path) -> None:
    rng = np.random.default_rng(0)
    noise = Image.fromarray(rng.integers(0, 255, (120, 160, 3), dtype=np.uint8))
    data = api.encode(noise)
    assert api.read_text(data).word_count == 0
    assert api.decode(data).size == (160, 120)


@pytest.mark.parametrize("payload", [b"", b"not an image", b"\x89PNG\r\n\x1a\n\x00\x00"])
def test_bad_input_images_raise_typed_errors(payload: bytes) -> None:
    with pytest.raises(InputImageError):
        api.encode(payload)


def test_missing_input_file(tmp_path) -> None:
    with pytest.raises(InputImageError):
        api.encode(tmp_path / "nope.png")


def test_bad_arguments() -> None:
    with pytest.raises(ValueError):
        api.encode(b"x", quality=9)
    with pytest.raises(ValueError):
        api.encode(b"x", quality=3, target_bpp=0.1)


def test_a_chosen_base_codec_codes_and_decodes() -> None:
    shot = render_screenshot()
    assert api.default_base_codec() in api.base_codecs()
    assert api.LOSSLESS_CODEC_ID not in api.base_codecs()
    learned = max(i for i in api.base_codecs() if i.startswith("learned-"))
    data = api.encode(shot, quality=3, base=learned)
    assert api.info(data).components["base"] == learned
    assert api.info(api.encode(shot, quality=3)).components["base"] == api.default_base_codec()
    image = api.decode(data)
    assert image.size == shot.size
    assert "quick brown fox" in api.read_text(data).text
    with pytest.raises(ValueError, match="unknown base codec"):
        api.encode(shot, base="avif-ds-v999")
    with pytest.raises(ValueError, match="lossless"):
        api.encode(shot, base=learned, lossless=True)


def test_corrupt_file_raises_format_error(encoded: bytes) -> None:
    with pytest.raises(FormatError):
        api.decode(encoded[: len(encoded) // 2])
    with pytest.raises(PicdError):
        api.decode(b"PNG? no")


def test_unknown_codec_is_refused(encoded: bytes) -> None:
    pf = container.loads(encoded)
    comps = tuple(
        container.Component(c.role, "avif-ds-v999", c.sha256) if c.role == "base" else c
        for c in pf.header.components
    )
    header = dataclasses.replace(pf.header, components=comps)
    forged = container.dumps(dataclasses.replace(pf, header=header))
    with pytest.raises(UnknownModelError):
        api.decode(forged)
    assert api.read_text(forged).word_count > 0  # the text stays readable


def test_progress_and_cancel(encoded: bytes) -> None:
    from picd_desktop.format.errors import Cancelled

    seen = []
    api.decode(encoded, progress=lambda step, total, img: seen.append((step, total, img.size)))
    assert seen and seen[-1][:2] == (1, 1)
    with pytest.raises(Cancelled):
        api.decode(encoded, cancel=lambda: True)


def test_read_text_never_needs_the_base(encoded: bytes) -> None:
    pf = container.loads(encoded)
    broken = container.dumps(dataclasses.replace(pf, base=b"\x00garbage"))
    assert api.read_text(broken).text == api.read_text(encoded).text
    with pytest.raises(PicdError):
        api.decode(broken)

"""Input images: every kind of bad input gives InputImageError; thumbnails stay small."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from picd_desktop.format.errors import InputImageError
from picd_desktop.imageio import THUMB_MAX_BYTES, load_image, make_thumbnail, thumbnail_budget


def _png(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return buf.getvalue()


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L", "LA", "P", "1", "I;16"])
def test_modes_become_rgb(mode: str) -> None:
    image = Image.new(mode, (5, 4))
    assert load_image(_png(image)).mode == "RGB"


def test_transparency_is_flattened_on_white() -> None:
    image = Image.new("RGBA", (2, 2), (0, 0, 0, 0))
    assert load_image(image).getpixel((0, 0)) == (255, 255, 255)


def test_truncated_png() -> None:
    data = _png(Image.effect_noise((64, 64), 50).convert("RGB"))
    with pytest.raises(InputImageError, match="corrupt or truncated"):
        load_image(data[: len(data) // 2])


def test_not_an_image(tmp_path) -> None:
    path = tmp_path / "notes.png"
    path.write_text("hello")
    with pytest.raises(InputImageError, match="not a supported image"):
        load_image(path)
    with pytest.raises(InputImageError, match="cannot read"):
        load_image(tmp_path)  # a folder


def test_huge_dimensions_rejected_before_decoding() -> None:
    # a valid PNG header announcing 70000 x 10 pixels: refused from the header alone
    header = _png(Image.new("L", (1, 1)))
    import struct
    import zlib

    ihdr = struct.pack(">IIBBBBB", 70000, 10, 8, 0, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    forged = header[:8] + struct.pack(">I", 13) + chunk + struct.pack(">I", zlib.crc32(chunk))
    with pytest.raises(InputImageError, match="too large"):
        load_image(forged + header[33:])


@pytest.mark.parametrize("size", [(1, 1), (300, 200), (1920, 1080), (4000, 3000)])
def test_thumbnail_within_budget(size: tuple[int, int]) -> None:
    rng = np.random.default_rng(1)
    image = Image.fromarray(rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8))
    thumb = make_thumbnail(image)
    assert len(thumb) <= thumbnail_budget(size) <= THUMB_MAX_BYTES
    with Image.open(io.BytesIO(thumb)) as im:
        assert max(im.size) <= 160

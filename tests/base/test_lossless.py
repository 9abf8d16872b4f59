"""LosslessCodec (WebP / JPEG XL lossless) and the codec registry."""

from __future__ import annotations

import random

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from picd_desktop.base import lossless, registry
from picd_desktop.base.classic import ClassicCodec
from picd_desktop.base.codec import BaseCodec
from picd_desktop.base.lossless import JXL, WEBP, LosslessCodec
from picd_desktop.format.errors import BaseLayerError, UnknownModelError

FONT = "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf"


def text_image(size: tuple[int, int] = (300, 180)) -> Image.Image:
    im = Image.new("RGB", size, (30, 32, 40))
    d = ImageDraw.Draw(im)
    font = ImageFont.truetype(FONT, 14)
    for i, y in enumerate(range(4, size[1] - 14, 18)):
        d.text((6, y), f"line {i}: lossless base layer", font=font, fill=(220, 200, 90 + i * 9))
    return im


def noise_image(size: tuple[int, int] = (96, 64)) -> Image.Image:
    rng = np.random.default_rng(3)
    ramp = np.linspace(0, 200, size[0])[None, :, None]
    arr = np.clip(ramp + rng.normal(0, 20, (size[1], size[0], 3)), 0, 255).astype(np.uint8)
    return Image.fromarray(arr)


@pytest.fixture(scope="module")
def codec() -> LosslessCodec:
    return LosslessCodec()


def test_identity(codec: LosslessCodec) -> None:
    assert isinstance(codec, BaseCodec)
    assert codec.id == "lossless-v1" and len(codec.sha256) == 64


@pytest.mark.parametrize("make", [text_image, noise_image,
                                  lambda: Image.new("RGB", (1, 1), (1, 2, 3)),
                                  lambda: noise_image((3, 2))])
def test_exact_rgb(codec: LosslessCodec, make) -> None:  # noqa: ANN001
    im = make()
    out = codec.decode(codec.encode(im, 1.0, roi=[(0, 0, 1, 1)]), im.size)
    assert out.mode == "RGB" and out.tobytes() == im.tobytes()


@pytest.mark.parametrize("mode", ["L", "RGBA", "P"])
def test_other_modes_exact_as_rgb(codec: LosslessCodec, mode: str) -> None:
    src = text_image().convert(mode)
    out = codec.decode(codec.encode(src), src.size)
    assert out.tobytes() == src.convert("RGB").tobytes()


@pytest.mark.parametrize("fmt", [WEBP, JXL])
def test_both_formats_decode_exactly(codec: LosslessCodec, fmt: int) -> None:
    im = noise_image((57, 31))
    body = lossless.webp_encode(im) if fmt == WEBP else lossless.jxl_encode(im)
    assert codec.decode(bytes([fmt]) + body, im.size).tobytes() == im.tobytes()


def test_keeps_the_smaller(codec: LosslessCodec) -> None:
    im = text_image()
    data = codec.encode(im)
    assert len(data) - 1 == min(len(lossless.webp_encode(im)), len(lossless.jxl_encode(im)))


def test_1920x1080(codec: LosslessCodec) -> None:
    im = Image.new("RGB", (1920, 1080), (240, 240, 240))
    im.paste(text_image((900, 500)), (500, 300))
    assert codec.decode(codec.encode(im), im.size).tobytes() == im.tobytes()


@pytest.fixture(scope="module", params=[WEBP, JXL])
def payload(request: pytest.FixtureRequest) -> bytes:
    im = text_image((120, 80))
    body = lossless.webp_encode(im) if request.param == WEBP else lossless.jxl_encode(im)
    return bytes([request.param]) + body


@pytest.mark.parametrize("cut", [0, 1, 2, 20, -40, -1])
def test_truncated(codec: LosslessCodec, payload: bytes, cut: int) -> None:
    with pytest.raises(BaseLayerError):
        codec.decode(payload[:cut], (120, 80))


def test_wrong_size_and_format(codec: LosslessCodec, payload: bytes) -> None:
    for size in [(121, 80), (120, 79), (1, 1), (0, 80)]:
        with pytest.raises(BaseLayerError):
            codec.decode(payload, size)
    with pytest.raises(BaseLayerError):
        codec.decode(b"\x07" + payload[1:], (120, 80))
    with pytest.raises(BaseLayerError):
        codec.decode(bytes([1 - payload[0]]) + payload[1:], (120, 80))


def test_corruption_never_crashes(codec: LosslessCodec, payload: bytes) -> None:
    rng = random.Random(payload[0])
    for _ in range(40):
        bad = bytearray(payload)
        for _ in range(rng.randrange(1, 5)):
            bad[rng.randrange(1, len(bad))] = rng.randrange(256)
        try:
            out = codec.decode(bytes(bad), (120, 80))
        except BaseLayerError:
            continue
        assert out.size == (120, 80)
    with pytest.raises(BaseLayerError):
        codec.decode(payload[:1] + rng.randbytes(500), (120, 80))


def test_registry() -> None:
    assert {ClassicCodec.id, "lossless-v1"} <= set(registry.available())
    assert isinstance(registry.default_codec(), ClassicCodec)
    lossless_codec = registry.get_codec("lossless-v1")
    assert registry.get_codec("lossless-v1", lossless_codec.sha256) is lossless_codec
    with pytest.raises(UnknownModelError):
        registry.get_codec("learned-v9")
    with pytest.raises(UnknownModelError):
        registry.get_codec("lossless-v1", "0" * 64)


def test_register_a_new_codec(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "_CODECS", dict(registry._CODECS))  # leave the real one alone

    class Stub(LosslessCodec):
        id = "test-stub-v1"

    stub = Stub()
    registry.register(stub)
    assert registry.get_codec("test-stub-v1") is stub and "test-stub-v1" in registry.available()
    with pytest.raises(ValueError):
        registry.register(Stub())
    registry.register(Stub(), replace=True)
    with pytest.raises(TypeError):
        registry.register(object())  # type: ignore[arg-type]

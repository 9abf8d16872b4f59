"""ClassicCodec (AVIF + downscale) and its ROI crops: real Pillow/libavif/dav1d, no mocks."""

from __future__ import annotations

import hashlib
import random
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from picd_desktop.base import classic, roi
from picd_desktop.base.classic import ClassicCodec
from picd_desktop.base.codec import BaseCodec
from picd_desktop.format.errors import BaseLayerError, InputImageError

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
WORDS = ["file", "edit", "view", "search", "compress", "layer", "quality", "window", "42"]


def screen(size: tuple[int, int] = (480, 300), seed: int = 0, n_words: int = 12
           ) -> tuple[Image.Image, list[tuple[int, int, int, int]]]:
    """A small UI-like image (bars, icons, gradient) with words at known boxes."""
    rng = random.Random(seed)
    w, h = size
    im = Image.new("RGB", size, (246, 246, 248))
    d = ImageDraw.Draw(im)
    d.rectangle((0, 0, w, 24), fill=(50, 90, 160))
    ramp = np.linspace(0, 255, max(w // 3, 1), dtype=np.uint8)
    im.paste(Image.fromarray(np.stack([np.tile(ramp, (h // 3, 1))] * 3, -1)), (w - w // 3, h // 2))
    boxes = []
    for i in range(n_words):
        font = ImageFont.truetype(FONT, rng.choice([11, 13, 15]))
        x, y = rng.randrange(4, max(5, w // 2)), 30 + (i * 19) % max(h - 50, 1)
        word = rng.choice(WORDS)
        d.text((x, y), word, font=font, fill=(20, 20, 20))
        boxes.append(d.textbbox((x, y), word, font=font))
        d.ellipse((x - 3, y + 30, x + 9, y + 42), fill=(rng.randrange(256), 120, 60))
    return im, boxes


def mse(a: Image.Image, b: Image.Image) -> float:
    return float(np.mean((np.asarray(a, np.float64) - np.asarray(b, np.float64)) ** 2))


def looks_like(im: Image.Image, out: Image.Image) -> bool:
    """`out` is much closer to `im` than `im`'s mean colour is (a picture of it, not noise)."""
    flat = Image.new("RGB", im.size, tuple(int(v) for v in np.asarray(im).mean(axis=(0, 1))))
    return mse(im, out) <= max(mse(im, flat) / 2, 16)


@pytest.fixture(scope="module")
def codec() -> ClassicCodec:
    return ClassicCodec()


def test_protocol_and_identity(codec: ClassicCodec) -> None:
    assert isinstance(codec, BaseCodec)
    assert codec.id == "avif-ds-v3"
    assert len(codec.sha256) == 64 and codec.sha256 == ClassicCodec().sha256


def test_sha256_follows_the_table(codec: ClassicCodec, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(classic, "TABLE", classic.TABLE[:-1] + (classic.Step(1, 90, 8, 90),))
    assert ClassicCodec().sha256 != codec.sha256


@pytest.mark.parametrize("size", [(1, 1), (3, 2), (2, 3), (17, 9), (97, 61), (480, 300)])
@pytest.mark.parametrize("quality", [1.0, 2.5, 4.0, 6.3, 8.0])
def test_round_trip_shapes(codec: ClassicCodec, size: tuple[int, int], quality: float) -> None:
    im = screen(size)[0] if size[0] > 60 else Image.new("RGB", size, (200, 30, 90))
    out = codec.decode(codec.encode(im, quality), size)
    assert out.size == size and out.mode == "RGB"
    assert looks_like(im, out)


def test_flat_colour_survives_every_factor(codec: ClassicCodec) -> None:
    im = Image.new("RGB", (33, 21), (10, 200, 30))
    for q in range(1, 9):
        out = np.asarray(codec.decode(codec.encode(im, q), im.size), np.int16)
        assert np.abs(out - (10, 200, 30)).max() <= 6


@pytest.mark.parametrize("mode", ["L", "LA", "RGBA", "P", "1"])
def test_other_modes_are_coded_as_rgb(codec: ClassicCodec, mode: str) -> None:
    im = screen()[0]
    src = im.convert(mode)
    out = codec.decode(codec.encode(src, 6), im.size)
    assert out.mode == "RGB" and out.size == im.size
    if mode != "1":  # a dithered bilevel image is all high frequencies: only shape is checked
        assert looks_like(src.convert("RGB"), out)


def test_1920x1080(codec: ClassicCodec) -> None:
    im = screen((1920, 1080), n_words=40)[0]
    data = codec.encode(im, 3)
    assert codec.decode(data, im.size).size == (1920, 1080)
    assert len(data) * 8 / (1920 * 1080) < 0.1


def test_size_grows_with_quality(codec: ClassicCodec) -> None:
    im = screen((640, 400), n_words=20)[0]
    sizes = [len(codec.encode(im, q / 2)) for q in range(2, 17)]
    assert sizes == sorted(sizes)
    assert sizes[-1] > 4 * sizes[0]
    errors = [mse(im, codec.decode(codec.encode(im, q), im.size)) for q in (1, 8)]
    assert errors[1] < errors[0] / 4


def test_params_are_monotone() -> None:
    steps = [ClassicCodec.params(q / 10) for q in range(10, 81)]
    assert all(a[0] >= b[0] for a, b in zip(steps, steps[1:], strict=False))
    assert all(a[1] <= b[1] for a, b in zip(steps, steps[1:], strict=False) if a[0] == b[0])


@pytest.mark.parametrize("quality", [0.99, 8.01, float("nan"), float("inf")])
def test_quality_out_of_range(codec: ClassicCodec, quality: float) -> None:
    with pytest.raises(ValueError):
        codec.encode(screen((40, 30))[0], quality)


def test_empty_image_is_refused(codec: ClassicCodec) -> None:
    with pytest.raises(InputImageError):
        codec.encode(Image.new("RGB", (0, 5)), 4)
    with pytest.raises(InputImageError):
        codec.encode(Image.new("RGB", (classic.MAX_SIDE + 1, 2)), 4)


def _digest(im: Image.Image) -> str:
    return hashlib.sha256(im.tobytes()).hexdigest()


def test_decode_is_deterministic(codec: ClassicCodec, tmp_path: Path) -> None:
    im, boxes = screen((301, 203))
    data = codec.encode(im, 3.5, roi=boxes[:4])
    first = _digest(codec.decode(data, im.size))
    assert _digest(codec.decode(data, im.size)) == first
    payload = tmp_path / "base.bin"
    payload.write_bytes(data)
    script = (
        "import sys, hashlib, PIL.AvifImagePlugin as A\n"
        "from picd_desktop.base.classic import ClassicCodec\n"
        "for n in (1, 3, 8):\n"
        "    A.DEFAULT_MAX_THREADS = n\n"
        "    im = ClassicCodec().decode(open(sys.argv[1], 'rb').read(), (301, 203))\n"
        "    print(hashlib.sha256(im.tobytes()).hexdigest())\n"
    )
    res = subprocess.run([sys.executable, "-c", script, str(payload)], capture_output=True,
                         text=True, timeout=60, env={"OMP_THREAD_LIMIT": "1", "PATH": "/usr/bin"},
                         check=True)
    assert res.stdout.split() == [first] * 3


def test_roi_is_much_closer_than_without(codec: ClassicCodec) -> None:
    im, boxes = screen((640, 400), n_words=14)
    plain = codec.decode(codec.encode(im, 1), im.size)
    data = codec.encode(im, 1, roi=boxes)
    kept = codec.decode(data, im.size)
    for box in boxes:
        assert mse(im.crop(box), kept.crop(box)) < mse(im.crop(box), plain.crop(box)) / 3
    assert len(data) > len(codec.encode(im, 1))
    assert codec.encode(im, 8, roi=boxes) == codec.encode(im, 8)  # f=1 at ROI quality already


def test_roi_merge_and_clip() -> None:
    boxes = [(10, 10, 20, 20), (22, 12, 30, 18), (100, 100, 120, 110), (-5, -5, 3, 2),
             (50, 50, 50, 60), (195, 95, 260, 130)]
    merged = roi.merge_boxes(boxes, (200, 120), margin=2)
    assert (8, 8, 32, 22) in merged  # the first two touch once grown
    assert all(0 <= x0 < x1 <= 200 and 0 <= y0 < y1 <= 120 for x0, y0, x1, y1 in merged)
    for a in merged:
        for b in merged:
            if a != b:
                assert a[2] < b[0] or b[2] < a[0] or a[3] < b[1] or b[3] < a[1]


@pytest.mark.parametrize("n_boxes", [1, 3, 30])
def test_roi_payload_round_trip(n_boxes: int) -> None:
    im, _ = screen((400, 260))
    rng = random.Random(n_boxes)
    boxes = []
    for _ in range(n_boxes):
        x, y = rng.randrange(0, 380), rng.randrange(0, 240)
        boxes.append((x, y, x + rng.randrange(4, 60), y + rng.randrange(4, 20)))
    data = roi.encode_roi(im, boxes, lambda t: classic.avif_encode(t, 90))
    canvas = Image.new("RGB", im.size)
    roi.decode_roi(data, canvas, classic.avif_decode)
    for box in roi.merge_boxes(boxes, im.size):
        assert mse(im.crop(box), canvas.crop(box)) < 60


def test_roi_crop_outside_canvas_is_an_error() -> None:
    im, boxes = screen((200, 150))
    data = roi.encode_roi(im, boxes[:1], lambda t: classic.avif_encode(t, 80))
    with pytest.raises(BaseLayerError):
        roi.decode_roi(data, Image.new("RGB", (20, 20)), classic.avif_decode)


@pytest.fixture(scope="module")
def payload(codec: ClassicCodec) -> bytes:
    im, boxes = screen((160, 120), n_words=5)
    return codec.encode(im, 2.5, roi=boxes)


@pytest.mark.parametrize("cut", [0, 1, 5, 10, 11, 40, -200, -30, -1])
def test_truncated_payload(codec: ClassicCodec, payload: bytes, cut: int) -> None:
    with pytest.raises(BaseLayerError):
        codec.decode(payload[:cut], (160, 120))


def test_header_fields_are_checked(codec: ClassicCodec, payload: bytes) -> None:
    for at, value in [(0, 2), (0, 4), (1, 6), (2, 0), (2, 200), (3, 1), (5, 0)]:
        bad = bytearray(payload)
        bad[at] = value
        with pytest.raises(BaseLayerError):
            codec.decode(bytes(bad), (160, 120))
    with pytest.raises(BaseLayerError):
        codec.decode(payload + b"\0", (160, 120))
    bad = bytearray(payload)
    bad[7:11] = (2**31).to_bytes(4, "little")
    with pytest.raises(BaseLayerError):
        codec.decode(bytes(bad), (160, 120))


@pytest.mark.parametrize("size", [(0, 10), (10, -1), (1 << 16, 2), ("a", 3), (10,)])
def test_bad_size(codec: ClassicCodec, payload: bytes, size: tuple[int, int]) -> None:
    with pytest.raises(BaseLayerError):
        codec.decode(payload, size)


def test_wrong_size_is_refused(codec: ClassicCodec, payload: bytes) -> None:
    with pytest.raises(BaseLayerError):
        codec.decode(payload, (161, 120))


def test_garbage_never_crashes(codec: ClassicCodec, payload: bytes) -> None:
    rng = random.Random(1)
    for _ in range(60):
        bad = bytearray(payload)
        for _ in range(rng.randrange(1, 6)):
            bad[rng.randrange(len(bad))] = rng.randrange(256)
        try:
            out = codec.decode(bytes(bad), (160, 120))
        except BaseLayerError:
            continue
        assert out.size == (160, 120)  # AV1 has no checksum: a flip may decode to noise
    for n in (11, 100, 3000):
        junk = payload[:11] + rng.randbytes(n)
        with pytest.raises(BaseLayerError):
            codec.decode(junk, (160, 120))


def test_deflate_bomb_is_refused(codec: ClassicCodec) -> None:
    z = zlib.compressobj(9, zlib.DEFLATED, -15, 9, zdict=classic.AVIF_DICT)
    bomb = z.compress(b"\0" * (1 << 24)) + z.flush()
    data = classic._HEAD.pack(classic.VERSION, 0, 1, 16, 16, len(bomb)) + bomb
    with pytest.raises(BaseLayerError):
        codec.decode(data, (16, 16))

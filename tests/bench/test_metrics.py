"""Tests of bench/metrics.py on real images and real Tesseract."""

from __future__ import annotations

import importlib.util
import math
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from picd_desktop.format.errors import InputImageError

_PATH = Path(__file__).resolve().parents[2] / "bench" / "metrics.py"
_spec = importlib.util.spec_from_file_location("picd_bench_metrics", _PATH)
assert _spec is not None and _spec.loader is not None
metrics = importlib.util.module_from_spec(_spec)
sys.modules["picd_bench_metrics"] = metrics
_spec.loader.exec_module(metrics)

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def text_image(lines: list[str], px: int = 26) -> Image.Image:
    """Black text on white in DejaVu Sans, one line per entry."""
    ft = ImageFont.truetype(FONT, px)
    w = int(max(ft.getlength(s) for s in lines)) + 60
    img = Image.new("RGB", (w, 40 + len(lines) * int(px * 1.6)), "white")
    d = ImageDraw.Draw(img)
    for i, s in enumerate(lines):
        d.text((30, 20 + i * int(px * 1.6)), s, font=ft, fill="black")
    return img


@pytest.fixture(scope="module")
def page() -> Image.Image:
    return text_image(
        [
            "Compression keeps every word readable",
            "The quick brown fox jumps over the lazy dog",
            "Screenshots contain menus, buttons and code",
        ]
    )


def noise_image(w: int = 256, h: int = 192, seed: int = 0) -> Image.Image:
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 256, (h // 8, w // 8, 3), dtype=np.uint8)
    return Image.fromarray(base).resize((w, h), Image.BILINEAR)


def test_bpp_known_value() -> None:
    assert metrics.bpp(1000, 100, 80) == 1.0
    assert metrics.bpp(0, 10, 10) == 0.0
    with pytest.raises(InputImageError):
        metrics.bpp(10, 0, 10)


def test_psnr_identical_is_inf() -> None:
    img = noise_image()
    assert metrics.psnr(img, img.copy()) == math.inf


def test_psnr_constant_offset() -> None:
    a = Image.new("RGB", (64, 48), (100, 100, 100))
    b = Image.new("RGB", (64, 48), (110, 110, 110))
    assert metrics.psnr(a, b) == pytest.approx(10 * math.log10(255**2 / 100), abs=1e-9)
    c = Image.new("RGB", (64, 48), (110, 100, 100))  # one channel off: MSE = 100 / 3
    assert metrics.psnr(a, c) == pytest.approx(10 * math.log10(255**2 * 3 / 100), abs=1e-9)


def test_size_mismatch_is_typed_error() -> None:
    with pytest.raises(InputImageError):
        metrics.psnr(Image.new("RGB", (10, 10)), Image.new("RGB", (10, 11)))
    with pytest.raises(InputImageError):
        metrics.ms_ssim(Image.new("RGB", (10, 10)), Image.new("RGB", (11, 10)))
    with pytest.raises(InputImageError):
        metrics.ms_ssim(Image.new("RGB", (2, 9)), Image.new("RGB", (2, 9)))


def test_ms_ssim_identical_and_degraded(page: Image.Image) -> None:
    assert metrics.ms_ssim(page, page.copy()) == pytest.approx(1.0, abs=1e-12)
    mild = metrics.ms_ssim(page, page.filter(ImageFilter.GaussianBlur(1)))
    strong = metrics.ms_ssim(page, page.filter(ImageFilter.GaussianBlur(4)))
    blank = metrics.ms_ssim(page, Image.new("RGB", page.size, "white"))
    assert 1.0 > mild > strong > blank >= 0.0


def test_ms_ssim_matches_ssim_on_one_scale_for_constant_images() -> None:
    # Two constant images: cs = 1 at every scale, SSIM = luminance term only.
    a = Image.new("RGB", (200, 200), (100, 100, 100))
    b = Image.new("RGB", (200, 200), (120, 120, 120))
    c1 = (0.01 * 255) ** 2
    expect = (2 * 100 * 120 + c1) / (100**2 + 120**2 + c1)
    w = np.array(metrics.MS_SSIM_WEIGHTS[:5])
    # levels for 200 px: floor(log2(200 / 11)) + 1 = 5 -> only the last scale's weight applies
    assert metrics.ms_ssim(a, b) == pytest.approx(expect ** (w[4] / w.sum()), rel=1e-9)


@pytest.mark.parametrize("size", [(20, 15), (7, 7), (40, 12)])
def test_ms_ssim_small_images(size: tuple[int, int]) -> None:
    a = noise_image(64, 64).resize(size)
    assert metrics.ms_ssim(a, a.copy()) == pytest.approx(1.0)
    b = a.filter(ImageFilter.GaussianBlur(2))
    assert 0.0 <= metrics.ms_ssim(a, b) < 1.0


def test_ocr_words_reads_rendered_text(page: Image.Image) -> None:
    words = [t for t, _ in metrics.ocr_words(page)]
    for w in ("Compression", "quick", "brown", "buttons"):
        assert w in words


def test_text_and_char_accuracy_identical(page: Image.Image) -> None:
    assert metrics.text_accuracy(page, page.copy()) == 1.0
    assert metrics.char_accuracy(page, page.copy()) == 1.0


def test_text_and_char_accuracy_degraded(page: Image.Image) -> None:
    blank = Image.new("RGB", page.size, "white")
    assert metrics.text_accuracy(page, blank) == 0.0
    assert metrics.char_accuracy(page, blank) == 0.0
    blurred = page.filter(ImageFilter.GaussianBlur(5))
    assert metrics.text_accuracy(page, blurred) < 0.5
    assert metrics.char_accuracy(page, blurred) < 0.9


def test_text_accuracy_nan_without_text() -> None:
    empty = Image.new("RGB", (300, 200), "white")
    assert math.isnan(metrics.text_accuracy(empty, empty))
    assert math.isnan(metrics.char_accuracy(empty, empty))


def test_multiset_rule_on_words() -> None:
    orig = [("word", 95.0), ("word", 91.0), ("other", 88.0), ("x", 99.0), ("faint", 30.0)]
    recon = [("word", 20.0), ("other", 5.0), ("faint", 99.0)]
    # reference: word, word, other ("x" too short, "faint" not confident); found: word once, other
    assert metrics.text_accuracy_words(orig, recon) == pytest.approx(2 / 3)
    assert metrics.text_accuracy_words(orig, recon + [("word", 1.0)]) == 1.0


def test_multiset_rule_on_images() -> None:
    orig = text_image(["Alpha Bravo", "Alpha Charlie"], px=34)
    recon = text_image(["Alpha Bravo", "Delta Charlie"], px=34)
    assert metrics.text_accuracy(orig, recon) == pytest.approx(3 / 4)


def test_char_accuracy_partial() -> None:
    orig = text_image(["Reading screenshots"], px=34)
    recon = text_image(["Reading screenshot"], px=34)
    ref = len("Reading screenshots")
    assert metrics.char_accuracy(orig, recon) == pytest.approx(1 - 1 / ref)


def test_peak_memory_sees_c_allocations() -> None:
    with metrics.PeakMemory(interval=0.002) as m:
        block = np.ones(100 * 2**20 // 8)  # 100 MiB allocated and written by numpy (C)
        time.sleep(0.05)
        del block
    assert m.delta_mb >= 80
    assert m.peak_mb >= m.start_mb + 80
    assert metrics.peak_rss_mb() >= m.peak_mb * 0.9
    with metrics.peak_memory() as small:
        pass
    assert 0.0 <= small.mb < m.mb

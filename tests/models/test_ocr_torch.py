"""The differentiable PP-OCR recogniser (rapidocr's ONNX model converted to torch)."""

from __future__ import annotations

import copy
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw, ImageFont

from picd_desktop.format.errors import UnknownModelError
from picd_desktop.models import ocr_torch
from picd_desktop.models.ocr_torch import (
    HEIGHT,
    MIN_WIDTH,
    RecognizerUnavailableError,
    load_recognizer,
)
from picd_desktop.text.fonts import font_path

pytestmark = pytest.mark.filterwarnings("ignore:Using a non-tuple sequence")
needs_rapidocr = pytest.mark.skipif(
    importlib.util.find_spec("rapidocr") is None or importlib.util.find_spec("onnx2torch") is None,
    reason="rapidocr (pip install --no-deps rapidocr==3.10.0) or onnx2torch is not installed",
)

LINES = ["Hello World 2026", "Total: $1,234.56 (incl. VAT)", "Settings > Advanced > Network",
         "user@example.com", "The quick brown fox jumps over the lazy dog."]


def render(text: str, size: int = 18, font_id: int = 0, fg: tuple[int, int, int] = (0, 0, 0),
           bg: tuple[int, int, int] = (255, 255, 255)) -> torch.Tensor:
    """(3, h, w) RGB in [0, 1]: `text` drawn with a shipped font, 4 px margins."""
    font = ImageFont.truetype(str(font_path(font_id)), size)
    left, top, right, bottom = font.getbbox(text)
    image = Image.new("RGB", (right - left + 8, bottom - top + 8), bg)
    ImageDraw.Draw(image).text((4 - left, 4 - top), text, font=font, fill=fg)
    return torch.from_numpy(np.array(image)).permute(2, 0, 1).float() / 255


@pytest.fixture(scope="module")
def rec() -> ocr_torch.Recognizer:
    torch.set_num_threads(1)
    return load_recognizer()


@needs_rapidocr
def test_reads_rendered_lines_exactly(rec: ocr_torch.Recognizer) -> None:
    assert rec.read(render("Hello World 2026")[None]) == ["Hello World 2026"]
    crops = [render(text, size, font_id) for text in LINES for size, font_id in ((13, 5), (22, 9))]
    assert rec.read(crops) == [text for text in LINES for _ in range(2)]


@needs_rapidocr
def test_dictionary_blank_and_space(rec: ocr_torch.Recognizer) -> None:
    with torch.no_grad():
        logits = rec.logits(torch.zeros(1, 3, HEIGHT, 64))
    assert logits.shape == (1, 8, len(rec.charset))  # one frame per 8 px of width
    assert rec.charset[0] == "" and rec.charset[-1] == " "
    assert set("azAZ09$@.") <= set(rec.charset)
    blank_frames = logits.argmax(-1)
    assert (blank_frames == 0).all()  # an empty grey crop is all CTC blanks


@needs_rapidocr
def test_logits_are_differentiable(rec: ocr_torch.Recognizer) -> None:
    crop = render("Gradient 42")[None].requires_grad_(True)
    logits = rec.logits(rec.prepare(crop))
    assert logits.requires_grad
    (grad,) = torch.autograd.grad(logits.log_softmax(-1).max(-1).values.sum(), crop)
    assert grad.shape == crop.shape
    assert torch.isfinite(grad).all() and grad.abs().sum() > 0


@needs_rapidocr
def test_gradient_matches_finite_differences(rec: ocr_torch.Recognizer) -> None:
    """The whole network's backward agrees with its forward (in float64): catches ops whose
    backward is wrong, like torch 2.13's eval BatchNorm on transposed gradients."""
    net = copy.deepcopy(rec.net).double()
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(1, 3, HEIGHT, 64, generator=gen, dtype=torch.float64) * 2 - 1
    direction = torch.randn(x.shape, generator=gen, dtype=torch.float64)
    weights = torch.randn(1, 8, len(rec.charset), generator=gen, dtype=torch.float64)
    xg = x.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad((net(xg) * weights).sum(), xg)
    eps = 1e-6
    with torch.no_grad():
        numeric = float(((net(x + eps * direction) - net(x - eps * direction)) * weights).sum())
    numeric /= 2 * eps
    assert float((grad * direction).sum()) == pytest.approx(numeric, rel=1e-5)


@needs_rapidocr
def test_prepare_resizes_pads_and_swaps_to_bgr(rec: ocr_torch.Recognizer) -> None:
    red = torch.zeros(2, 3, 24, 40)
    red[:, 0] = 1.0
    batch = rec.prepare(red)
    assert batch.shape == (2, 3, HEIGHT, MIN_WIDTH)
    assert torch.allclose(batch[:, :, :, :80], torch.tensor([-1.0, -1.0, 1.0])[None, :, None, None])
    assert (batch[:, :, :, 80:] == 0).all()  # mid-grey padding, as rapidocr
    wide = rec.prepare(torch.rand(1, 3, 96, 1000))
    assert wide.shape == (1, 3, HEIGHT, 500)
    with pytest.raises(ValueError, match="expected"):
        rec.prepare(torch.rand(3, 24, 40))


@needs_rapidocr
def test_loaded_once_per_process() -> None:
    assert load_recognizer() is load_recognizer("cpu")


def test_altered_model_file_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / ocr_torch.REC_MODEL
    bad.write_bytes(b"not the recogniser")
    with pytest.raises(RecognizerUnavailableError, match="sha256"):
        ocr_torch._read_verified(bad)


def test_missing_rapidocr_is_a_typed_error(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "rapidocr" else real(name, *a))
    with pytest.raises(UnknownModelError, match="rapidocr"):
        ocr_torch.recognizer_path()


def test_missing_recogniser_in_a_bundle_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "rapidocr" else real(name, *a))
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    with pytest.raises(RecognizerUnavailableError, match="not included in this build"):
        ocr_torch.recognizer_path()


def test_resources_copy_of_the_recogniser_comes_first(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from picd_desktop import resources

    res = tmp_path / "resources"
    (res / "ocr").mkdir(parents=True)
    (res / "ocr" / ocr_torch.REC_MODEL).write_bytes(b"x")
    monkeypatch.setenv("PICD_RESOURCES", str(res))
    resources.resources_dir.cache_clear()
    try:
        assert ocr_torch.recognizer_path() == res / "ocr" / ocr_torch.REC_MODEL
    finally:
        monkeypatch.delenv("PICD_RESOURCES")
        resources.resources_dir.cache_clear()

"""The OCR guidance loss on a real text layer with the real recogniser."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
import torch
from PIL import Image, ImageFilter

from picd_desktop.models.ocr_torch import Recognizer, load_recognizer
from picd_desktop.render.diffusion.ocr_loss import line_boxes, ocr_loss
from picd_desktop.text.glyphs import draw_glyphs, word_bitmap
from picd_desktop.text.layer import Block, Line, TextLayer, Word

pytestmark = pytest.mark.filterwarnings("ignore:Using a non-tuple sequence")
needs_rapidocr = pytest.mark.skipif(
    importlib.util.find_spec("rapidocr") is None or importlib.util.find_spec("onnx2torch") is None,
    reason="rapidocr (pip install --no-deps rapidocr==3.10.0) or onnx2torch is not installed",
)


def _line(words: list[tuple[str, bool]], y0: int, size: int = 18, font_id: int = 0,
          x: int = 8) -> Line:
    placed = []
    for text, drawn in words:
        width = word_bitmap(font_id, size, text)[0].shape[1]
        placed.append(Word(text, x, x + width, drawn))
        x += width + size // 3
    return Line(y0=y0, y1=y0 + size + 6, baseline=y0 + size, font_id=font_id, font_size=size,
                fg=(20, 20, 30), bg=(240, 240, 236), words=tuple(placed))


LAYER = TextLayer(width=300, height=72, blocks=(Block((
    _line([("Hello", True), ("World", True), ("2026", True)], 6),
    _line([("Total:", True), ("hidden", False), ("$1,234.56", True)], 38, size=16, font_id=5),
)),))


def _tensor(image: Image.Image) -> torch.Tensor:
    return torch.from_numpy(np.array(image)).permute(2, 0, 1)[None].float() / 255


@pytest.fixture(scope="module")
def scene() -> tuple[Image.Image, torch.Tensor]:
    """The reference: the layer's glyphs over a light, slightly graded base."""
    ramp = np.linspace(236, 248, LAYER.width, dtype=np.float32)[None, :, None]
    base = np.broadcast_to(ramp, (LAYER.height, LAYER.width, 3)).astype(np.uint8)
    image = Image.alpha_composite(Image.fromarray(base).convert("RGBA"), draw_glyphs(LAYER))
    image = image.convert("RGB")
    return image, _tensor(image)


@pytest.fixture(scope="module")
def rec() -> Recognizer:
    torch.set_num_threads(1)
    return load_recognizer()


def test_line_boxes_cover_runs_of_drawn_words() -> None:
    boxes = line_boxes(LAYER)
    first, second = LAYER.blocks[0].lines
    assert len(boxes) == 3  # the undrawn word splits the second line
    assert boxes[0][0] <= first.words[0].x0 and boxes[0][2] >= first.words[-1].x1
    assert boxes[1][2] <= second.words[1].x0 and boxes[2][0] >= second.words[1].x1
    for x0, y0, x1, y1 in boxes:
        assert 0 <= x0 < x1 <= LAYER.width and 0 <= y0 < y1 <= LAYER.height
    undrawn = TextLayer(300, 72, blocks=(Block((_line([("no", False)], 6),)),))
    assert line_boxes(undrawn) == []
    long = line_boxes(LAYER, max_aspect=4.0)  # split at word gaps, one word per box here
    assert len(long) == 5


@needs_rapidocr
def test_reference_reads_as_the_layer(rec: Recognizer, scene: tuple) -> None:
    _, ref = scene
    crops = [ref[0, :, max(y0 - 3, 0):y1 + 3, max(x0 - 3, 0):x1 + 3] for x0, y0, x1, y1
             in line_boxes(LAYER)]
    assert rec.read(crops) == ["Hello World 2026", "Total:", "$1,234.56"]


@needs_rapidocr
def test_loss_is_lowest_for_the_reference(rec: Recognizer, scene: tuple) -> None:
    image, ref = scene
    boxes = line_boxes(LAYER)
    blurred = _tensor(image.filter(ImageFilter.GaussianBlur(1.6)))
    noised = (ref + 0.25 * torch.randn(ref.shape, generator=torch.Generator().manual_seed(0)))
    with torch.no_grad():
        own = float(ocr_loss(ref, ref, boxes, rec))
        blur = float(ocr_loss(blurred, ref, boxes, rec))
        noise = float(ocr_loss(noised.clamp(0, 1), ref, boxes, rec))
    assert own == pytest.approx(0.0, abs=1e-6) and blur > 0.02 and noise > 0.02


@needs_rapidocr
def test_gradient_steps_lower_the_loss(rec: Recognizer, scene: tuple) -> None:
    image, ref = scene
    boxes = line_boxes(LAYER)[:1]
    x = _tensor(image.filter(ImageFilter.GaussianBlur(1.6)))
    losses = []
    for _ in range(3):
        x.requires_grad_(True)
        loss = ocr_loss(x, ref, boxes, rec)
        (grad,) = torch.autograd.grad(loss, x)
        assert torch.isfinite(grad).all() and grad.abs().sum() > 0
        outside = torch.ones_like(grad, dtype=torch.bool)
        x0, y0, x1, y1 = boxes[0]
        outside[..., max(y0 - 3, 0):y1 + 3, max(x0 - 3, 0):x1 + 3] = False
        assert (grad[outside] == 0).all()  # only the cropped pixels are touched
        losses.append(loss.item())
        # steps of 3e-4 RMS: the loss is sharp, much larger steps overshoot (see ocr_loss.py)
        x = (x - 3e-4 * grad / grad[~outside].square().mean().sqrt()).detach()
    assert losses[1] < 0.2 * losses[0] and losses[-1] < 0.5 * losses[0]


@needs_rapidocr
def test_max_boxes_keeps_the_most_different_box(rec: Recognizer, scene: tuple) -> None:
    image, ref = scene
    boxes = line_boxes(LAYER)
    x0, y0, x1, y1 = boxes[2]
    damaged = ref.clone()
    damaged[..., y0:y1, x0:x1] = _tensor(image.filter(ImageFilter.GaussianBlur(2)))[..., y0:y1,
                                                                                   x0:x1]
    with torch.no_grad():
        capped = float(ocr_loss(damaged, ref, boxes, rec, max_boxes=1))
        alone = float(ocr_loss(damaged, ref, [boxes[2]], rec))
    assert capped == pytest.approx(alone, rel=1e-5) and alone > 0.1


@needs_rapidocr
def test_no_box_inside_gives_an_attached_zero(rec: Recognizer, scene: tuple) -> None:
    _, ref = scene
    x = ref.clone().requires_grad_(True)
    loss = ocr_loss(x, ref, [(400, 0, 500, 20), (-50, -50, -10, -10)], rec)
    (grad,) = torch.autograd.grad(loss, x)
    assert loss.item() == 0.0 and (grad == 0).all()
    with pytest.raises(ValueError, match="reference"):
        ocr_loss(x, ref[..., :10], [(0, 0, 10, 10)], rec)

"""LearnedCodec at low rates: the card's quality table, the downscaled payload (version 2) with
exact rules, its errors, bit-exact decoding across threads, and the differentiable path."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from learned_exactness import check_threads_and_algorithms
from PIL import Image, ImageDraw

from picd_desktop.base.learned import DEFAULT_MODEL, LearnedCodec, box_reduce
from picd_desktop.format.errors import BaseLayerError
from picd_desktop.models.weights import CARD_FILE, model_dir
from picd_desktop.text.fit import build_layer
from picd_desktop.text.ocr import run_ocr

SAMPLE = Path(__file__).parents[2] / "resources/samples/web_git_config.png"
TABLE = [[3, 1], [2, 1], [2, 3], [1, 1], [1, 2], [1, 3], [1, 5], [1, 8]]
RULE_Y, RULE_RGB = 300, (20, 90, 200)


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> Path:
    """The default model with a quality table in its card."""
    d = tmp_path_factory.mktemp("m") / DEFAULT_MODEL
    shutil.copytree(model_dir(DEFAULT_MODEL), d)
    card = json.loads((d / CARD_FILE).read_text())
    (d / CARD_FILE).write_text(json.dumps(dict(card, quality_table=TABLE)))
    return d


@pytest.fixture(scope="module")
def codec(model: Path) -> LearnedCodec:
    return LearnedCodec(DEFAULT_MODEL, directory=model)


@pytest.fixture(scope="module")
def shot() -> tuple[Image.Image, object]:
    """(cleaned, layer) of a 640x448 crop of a real screenshot with a 1 px coloured rule."""
    img = Image.open(SAMPLE).convert("RGB").crop((0, 0, 640, 448))
    layer, cleaned, _roi = build_layer(img, run_ocr(img))
    cleaned = cleaned.convert("RGB")
    ImageDraw.Draw(cleaned).line([(10, RULE_Y), (629, RULE_Y)], fill=RULE_RGB, width=1)
    return cleaned, layer


def _psnr(a: Image.Image, b: Image.Image) -> float:
    d = np.asarray(a, float) - np.asarray(b, float)
    return float(10 * np.log10(255 ** 2 / max(np.mean(d ** 2), 1e-9)))


def test_plan_follows_the_card_table(codec: LearnedCodec) -> None:
    assert codec.plan(1) == (3, 0)
    assert codec.plan(2) == (2, 0)
    assert codec.plan(2.5) == (2, 8)     # rows that share f: net quality interpolated (2.0)
    assert codec.plan(3.5) == (2, 16)    # rows with another f: the lower row
    assert codec.plan(8) == (1, 56)
    assert LearnedCodec("learned-hp-v5").plan(2.5) == (1, 12)  # no table: f 1, the quality
    with pytest.raises(ValueError):
        codec.plan(0.5)


def test_box_reduce_is_the_rounded_block_mean() -> None:
    a = np.array([[[0], [1], [4]], [[2], [3], [4]]], np.uint8)
    assert box_reduce(a, 2)[..., 0].tolist() == [[2, 4]]  # (0+1+2+3)/4 = 1.5 -> 2; edge pad
    assert box_reduce(a, 1) is a


def test_downscaled_round_trip_keeps_rules_exact(codec: LearnedCodec, shot) -> None:
    img, layer = shot
    sizes = {}
    for q in (1, 2, 4):
        data = codec.encode(img, q, layer=layer)
        f = codec.plan(q)[0]
        assert data[0] == (2 if f > 1 else 1) and (f == 1 or data[5] == f)
        out = codec.decode(data, img.size, layer)
        assert out.size == img.size and out.mode == "RGB"
        assert _psnr(img, out) > 15.0
        if f > 1:  # the rule is painted back exactly, not blurred by the upsampling
            row = np.asarray(out)[RULE_Y, 10:630]
            assert (row == RULE_RGB).all()
        sizes[q] = len(data)
    assert sizes[1] < sizes[2] < sizes[4]


def test_damaged_downscaled_payloads_raise_typed_errors(codec: LearnedCodec, shot) -> None:
    img, layer = shot
    data = codec.encode(img, 2, layer=layer)
    for bad in (data[:5], data[:5] + b"\x00" + data[6:], data[:5] + b"\x09" + data[6:],
                data[:-3]):
        with pytest.raises(BaseLayerError):
            codec.decode(bad, img.size, layer)
    assert data[2] & 2  # the rule was found and coded
    v1_with_rules = bytes([1, data[1], data[2]]) + data[3:5] + data[6:]  # version 1 has none
    with pytest.raises(BaseLayerError, match="bad learned base header"):
        codec.decode(v1_with_rules, img.size, layer)


def test_downscaled_decode_bit_exact_across_threads(codec: LearnedCodec, model: Path, shot,
                                                     tmp_path: Path) -> None:
    img, layer = shot
    assert codec.plan(2)[0] == 2
    check_threads_and_algorithms(codec, img, layer, 2, tmp_path, model)


def test_recompress_at_a_downscaled_quality_is_differentiable(codec: LearnedCodec,
                                                              shot) -> None:
    img, _layer = shot
    x = torch.from_numpy(np.array(img.crop((0, 0, 200, 136)))).permute(2, 0, 1)[None]
    x = (x.float() / 255).requires_grad_(True)
    out = codec.recompress(x, None, 1)
    assert out.shape == x.shape
    assert float(out.detach().min()) >= 0 and float(out.detach().max()) <= 1
    out.mean().backward()
    assert x.grad is not None and float(x.grad.abs().sum()) > 0
    # and it approximates the real decoder: within a few dB of what the payload decodes to
    real = codec.decode(codec.encode(img.crop((0, 0, 200, 136)), 1), (200, 136))
    approx = Image.fromarray((out[0].detach().permute(1, 2, 0).numpy() * 255).round()
                             .astype(np.uint8))
    assert _psnr(real, approx) > 25.0


def test_roi_crops_follow_the_asked_quality(codec: LearnedCodec, shot) -> None:
    """An ROI box on a busy background (an AVIF crop, not an ink mask) comes back closer at a
    higher quality asked for, even where the table steps to a smaller f at a lower net
    quality (qualities 4 and 6 both use net quality 3)."""
    img, layer = shot
    a = np.array(img)
    box = (40, 200, 200, 240)
    rng = np.random.default_rng(1)
    a[200:240, 40:200] = rng.integers(0, 256, (40, 160, 3))
    busy = Image.fromarray(a)
    errs = []
    for q in (2, 4, 6):
        data = codec.encode(busy, q, roi=[box], layer=layer)
        assert data[2] & 1  # an AVIF crop
        out = codec.decode(data, busy.size, layer).crop(box)
        errs.append(float(np.mean((np.asarray(busy.crop(box), float)
                                   - np.asarray(out, float)) ** 2)))
    assert errs[0] > errs[1] > errs[2]

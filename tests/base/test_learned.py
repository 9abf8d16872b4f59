"""LearnedCodec: round trip, bit-exact decoding across thread counts and algorithm modes,
damaged tiles, the differentiable path, weights hash check, smoke training with resume."""

from __future__ import annotations

import json
import shutil
import zlib
from pathlib import Path

import numpy as np
import pytest
import torch
from learned_exactness import check_threads_and_algorithms
from PIL import Image

from picd_desktop.base.learned import TILE, LearnedCodec, cond_planes, tiles
from picd_desktop.base.roi import merge_boxes
from picd_desktop.format.errors import BaseLayerError, UnknownModelError
from picd_desktop.models.weights import CARD_FILE, model_dir
from picd_desktop.text.fit import build_layer
from picd_desktop.text.ocr import run_ocr

SAMPLE = Path(__file__).parents[2] / "resources/samples/web_git_config.png"


@pytest.fixture(scope="module")
def codec() -> LearnedCodec:
    return LearnedCodec()


@pytest.fixture(scope="module")
def shot() -> tuple[Image.Image, object]:
    """(cleaned, layer) of a 640x448 crop of a real screenshot (two 512 px tiles), through
    real OCR and build_layer."""
    img = Image.open(SAMPLE).convert("RGB").crop((0, 0, 640, 448))
    layer, cleaned, _roi = build_layer(img, run_ocr(img))
    return cleaned, layer


def _psnr(a: Image.Image, b: Image.Image) -> float:
    d = np.asarray(a, float) - np.asarray(b, float)
    return float(10 * np.log10(255 ** 2 / max(np.mean(d ** 2), 1e-9)))


def test_round_trip(codec: LearnedCodec, shot) -> None:
    img, layer = shot
    sizes = []
    for q in (1.0, 8.0):
        data = codec.encode(img, q, layer=layer)
        out = codec.decode(data, img.size, layer)
        assert out.size == img.size and out.mode == "RGB"
        assert _psnr(img, out) > 12.0  # the 15-min CPU model measures ~15-20 dB here
        sizes.append(len(data))
    assert sizes[0] < sizes[1]


def test_decode_bit_exact_across_threads_and_algorithms(codec: LearnedCodec, shot,
                                                        tmp_path: Path) -> None:
    """Encode here; in a fresh process encode and decode with 1 / 2 threads, deterministic
    algorithms off / on: identical (at a full-size quality)."""
    img, layer = shot
    assert codec.plan(4.5)[0] == 1
    check_threads_and_algorithms(codec, img, layer, 4.5, tmp_path)


def test_explicit_condition_planes_equal_the_layers(codec: LearnedCodec, shot) -> None:
    """cond= (planes made elsewhere, as bench/learned_exact_check.py carries them) codes and
    decodes exactly as the layer they were drawn from; wrong planes get a typed error."""
    img, layer = shot
    cond = cond_planes(layer, img.size)
    data = codec.encode(img, 3.0, layer=layer)
    assert codec.encode(img, 3.0, cond=cond) == data
    assert np.array_equal(np.asarray(codec.decode(data, img.size, cond=cond)),
                          np.asarray(codec.decode(data, img.size, layer)))
    with pytest.raises(BaseLayerError, match="condition planes"):
        codec.decode(data, img.size, cond=cond[:, :, :4])
    with pytest.raises(BaseLayerError, match="condition planes"):
        codec.encode(img, 3.0, cond=cond[1:])


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device here")
def test_decode_on_the_gpu_is_bit_exact(codec: LearnedCodec, shot) -> None:
    img, layer = shot
    data = codec.encode(img, 3.0, layer=layer)
    gpu = LearnedCodec(device="cuda")
    assert np.array_equal(np.asarray(gpu.decode(data, img.size, layer)),
                          np.asarray(codec.decode(data, img.size, layer)))


def test_damaged_tile_loses_only_itself(codec: LearnedCodec, shot) -> None:
    img, layer = shot
    assert codec.plan(5.0)[0] == 1  # full size: two tiles
    data = bytearray(codec.encode(img, 5.0, layer=layer))
    good = np.asarray(codec.decode(bytes(data), img.size, layer))
    boxes = tiles(img.size, TILE)
    assert len(boxes) == 2
    # tile 1 starts after the 5-byte header, tile 0's 8-byte frame and body
    n0 = int.from_bytes(data[5:9], "little")
    at = 5 + 8 + n0 + 8 + 6
    data[at] ^= 0x5A
    with pytest.raises(BaseLayerError) as info:
        codec.decode(bytes(data), img.size, layer)
    assert info.value.damaged == [1]
    part = np.asarray(info.value.partial)
    x0, y0, x1, y1 = boxes[0]
    assert np.array_equal(part[y0:y1, x0:x1], good[y0:y1, x0:x1])
    x0, y0, x1, y1 = boxes[1]
    assert (part[y0:y1, x0:x1] == 128).all()


def test_bad_headers_raise_typed_errors(codec: LearnedCodec, shot) -> None:
    img, layer = shot
    data = codec.encode(img, 2.0, layer=layer)
    for bad in (data[:3], data[:20], b"\x09" + data[1:], data + b"x"):
        with pytest.raises(BaseLayerError):
            codec.decode(bad, img.size, layer)
    with pytest.raises(BaseLayerError):
        codec.decode(data, (641, 448), layer)


def test_roi_words_come_back_sharper(codec: LearnedCodec, shot) -> None:
    """ROI words (on the original, text not removed) come back closer than the net alone
    draws them: on a flat background as ink masks (version 2 payload, flag bit 2), and as AVIF
    crops where the background is not flat (noise behind one word)."""
    _cleaned, layer = shot
    img = np.array(Image.open(SAMPLE).convert("RGB").crop((0, 0, 640, 448)))
    boxes = [line.word_box(w) for line, w in layer.words()][:6]
    x0, y0, x1, y1 = merge_boxes(boxes, (640, 448))[0]  # as the codec grows and merges them
    rng = np.random.default_rng(0)
    noise = rng.integers(0, 128, (y1 - y0, x1 - x0, 3))
    img[y0:y1, x0:x1] = np.clip(img[y0:y1, x0:x1] // 2 + noise, 0, 255)
    img = Image.fromarray(img.astype(np.uint8))
    data = codec.encode(img, 3.0, roi=boxes, layer=layer)
    assert data[0] == 2 and data[2] & 4 and data[2] & 1  # ink masks and a crop
    plain = codec.decode(codec.encode(img, 3.0, layer=layer), img.size, layer)
    with_roi = codec.decode(data, img.size, layer)

    def err(out: Image.Image) -> float:
        return sum(float(np.sum((np.asarray(img.crop(b), float)
                                 - np.asarray(out.crop(b), float)) ** 2)) for b in boxes)

    assert err(with_roi) < 0.5 * err(plain)
    with pytest.raises(BaseLayerError):  # the masks are coded against the layer's coverage
        codec.decode(data, img.size, None)


def test_recompress_is_differentiable_and_matches_decoder(codec: LearnedCodec, shot) -> None:
    img, layer = shot
    x = torch.from_numpy(np.asarray(img).copy()).permute(2, 0, 1)[None].float() / 255
    c = torch.from_numpy(cond_planes(layer, img.size)).permute(2, 0, 1)[None].float() / 255
    x.requires_grad_(True)
    out = codec.recompress(x, c, 4.0)
    out.mean().backward()
    assert out.shape == x.shape and x.grad is not None and x.grad.abs().sum() > 0
    real = np.asarray(codec.decode(codec.encode(img, 4.0, layer=layer), img.size, layer))
    sim = (out.detach()[0].permute(1, 2, 0).numpy() * 255).round()
    mse = np.mean((sim - real) ** 2)
    assert 10 * np.log10(255 ** 2 / max(mse, 1e-9)) > 30.0


def test_weights_hash_is_checked(tmp_path: Path) -> None:
    d = tmp_path / "learned-hp-v1"
    shutil.copytree(model_dir("learned-hp-v1"), d)
    card = json.loads((d / CARD_FILE).read_text())
    card["sha256"] = "0" * 64
    (d / CARD_FILE).write_text(json.dumps(card))
    with pytest.raises(UnknownModelError):
        _ = LearnedCodec(directory=d).net


def _one_image_cache(tmp_path: Path, img: Image.Image, layer) -> Path:
    """A training cache (train.data layout) holding one image and its condition planes."""
    cache = tmp_path / "cache"
    cache.mkdir()
    img.save(cache / "a.png")
    np.save(cache / "a.cond.npy", cond_planes(layer, img.size))
    (cache / "manifest.json").write_text(json.dumps([{"name": "a", "source": "test"}]))
    return cache


def test_smoke_training_resumes(tmp_path: Path, shot) -> None:
    from picd_desktop.train import base_codec

    img, _layer = shot
    cache = _one_image_cache(tmp_path, img, _layer)
    argv = ["--smoke", "--data", str(cache), "--ckpt", str(tmp_path / "ck"), "--device", "cpu"]
    first = base_codec.train(base_codec.parse(argv))
    assert first["steps"] == 3
    second = base_codec.train(base_codec.parse([*argv, "--export", str(tmp_path / "m")]))
    assert second["steps"] == 6  # resumed from the checkpoint, 3 more steps
    third = base_codec.train(base_codec.parse([*argv, "--lr", "1e-4"]))
    assert third["steps"] == 9
    state = torch.load(tmp_path / "ck" / "last.pt", weights_only=False)
    assert [g["lr"] for g in state["opt"]["param_groups"]] == [1e-4]  # a resume may decay it
    assert [r["lr"] for r in state["runs"]] == [1e-3, 1e-3, 1e-4]
    with pytest.raises(SystemExit, match="another --lambda-shift"):  # levels would mean others
        base_codec.train(base_codec.parse([*argv, "--lambda-shift", "2"]))
    out = LearnedCodec("m", directory=tmp_path / "m")
    data = out.encode(img, 2.0, layer=_layer)
    assert zlib.crc32(data) == zlib.crc32(out.encode(img, 2.0, layer=_layer))
    assert out.decode(data, img.size, _layer).size == img.size


def test_lambda_shift_travels_with_the_model(tmp_path: Path, shot) -> None:
    """--lambda-shift is recorded in the checkpoint and the card; training from that export
    keeps its levels unless told otherwise."""
    from picd_desktop.train import base_codec

    img, layer = shot
    cache = _one_image_cache(tmp_path, img, layer)
    argv = ["--smoke", "--data", str(cache), "--device", "cpu"]
    base_codec.train(base_codec.parse([*argv, "--ckpt", str(tmp_path / "a"), "--init",
                                       str(model_dir("learned-hp-v5")), "--lambda-shift", "2",
                                       "--export", str(tmp_path / "m2")]))
    card = json.loads((tmp_path / "m2" / CARD_FILE).read_text())
    assert card["lambda_shift"] == 2 and card["lambdas"] == list(base_codec.lambdas(2))
    base_codec.train(base_codec.parse([*argv, "--ckpt", str(tmp_path / "b"), "--init",
                                       str(tmp_path / "m2"), "--export", str(tmp_path / "m3")]))
    assert json.loads((tmp_path / "m3" / CARD_FILE).read_text())["lambda_shift"] == 2


def test_training_grows_a_shipped_model(tmp_path: Path, shot) -> None:
    from picd_desktop.train import base_codec

    img, layer = shot
    cache = _one_image_cache(tmp_path, img, layer)
    shipped = model_dir("learned-hp-v1")
    base_steps = json.loads((shipped / CARD_FILE).read_text())["steps"]
    argv = ["--smoke", "--data", str(cache), "--ckpt", str(tmp_path / "ck"), "--device", "cpu",
            "--init", str(shipped), "--half", "4", "--gs-res", "1", "--m", "72",
            "--export", str(tmp_path / "grown")]
    assert base_codec.train(base_codec.parse(argv))["steps"] == base_steps + 3
    card = json.loads((tmp_path / "grown" / CARD_FILE).read_text())
    assert card["config"]["half"] == 4 and card["config"]["m"] == 72
    assert card["runs"][0]["init"] == str(shipped)
    grown = LearnedCodec("grown", directory=tmp_path / "grown")
    data = grown.encode(img, 2.0, layer=layer)
    assert grown.decode(data, img.size, layer).size == img.size
    # the ablation starts from the same shipped net without the glyph condition
    ablation = base_codec.train(base_codec.parse([*argv[:-2], "--no-cond", "--ckpt",
                                                  str(tmp_path / "ck2")]))
    assert ablation["steps"] == base_steps + 3


def test_registry_loads_the_learned_codec_on_first_use() -> None:
    from picd_desktop.base import registry

    shipped = {f"learned-hp-v{n}" for n in range(1, 7)}
    assert shipped <= set(registry.available())
    codec = registry.get_codec("learned-hp-v6")
    assert codec.id == "learned-hp-v6" and registry.get_codec("learned-hp-v6") is codec
    assert codec.net.cfg.gs_res == 1  # the grown architecture
    assert LearnedCodec().id == "learned-hp-v6"  # the newest model codes new payloads
    assert codec.card["lambda_shift"] == 3 and len(codec.card["quality_table"]) == 8
    assert registry.get_codec("learned-hp-v5").sha256 != codec.sha256
    assert registry.get_codec("learned-hp-v2").sha256 != codec.sha256
    assert registry.default_codec().id == "avif-ds-v3"  # classic stays the default


def test_files_of_the_older_model_still_decode(shot) -> None:
    """A payload made with learned-hp-v1 decodes through the registry by the id and sha256 a
    .picd header records, identically to its own codec's decode."""
    from picd_desktop.base import registry

    img, layer = shot
    old = LearnedCodec("learned-hp-v1")
    data = old.encode(img, 3.0, layer=layer)
    codec = registry.get_codec("learned-hp-v1", old.sha256)
    assert codec.net.cfg.gs_res == 0 and codec.sha256 != registry.get_codec("learned-hp-v3").sha256
    assert np.array_equal(np.asarray(codec.decode(data, img.size, layer)),
                          np.asarray(old.decode(data, img.size, layer)))

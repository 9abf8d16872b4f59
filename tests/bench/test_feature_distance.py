"""Tests of bench/efficientnet_lite0.py and bench/feature_distance.py with the real ImageNet
weights and real photos from Debian opencv-doc (examples/data)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image, ImageFilter

from bench import efficientnet_lite0 as enet
from bench import feature_distance as fd

DATA = Path("/usr/share/doc/opencv-doc/examples/data")
LABELS = DATA / "dnn" / "classification_classes_ILSVRC2012.txt"
PHOTOS = ("fruits.jpg", "baboon.jpg", "home.jpg")

pytestmark = pytest.mark.skipif(not DATA.is_dir(), reason="Debian opencv-doc not installed")


@pytest.fixture(scope="module", autouse=True)
def one_thread() -> Iterator[None]:
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def eval_crop(name: str) -> torch.Tensor:
    """TF EfficientNet eval preprocessing: centre crop 224/256 of the short side, bicubic."""
    img = Image.open(DATA / name).convert("RGB")
    w, h = img.size
    s = min(w, h) * 224 / 256
    box = ((w - s) / 2, (h - s) / 2, (w + s) / 2, (h + s) / 2)
    img = img.resize((224, 224), Image.Resampling.BICUBIC, box=box)
    return torch.from_numpy(np.array(img, dtype=np.float32)).permute(2, 0, 1)[None]


def test_weights_load_strictly_and_sha_is_checked(tmp_path: Path) -> None:
    model = fd.shared_model()
    assert sum(p.numel() for p in model.parameters()) == 4_652_008
    assert not model.training
    bad = tmp_path / "w.pth"
    shutil.copyfile(enet.weights_path(), bad)
    with bad.open("r+b") as fh:
        fh.seek(-1, 2)
        last = fh.read(1)
        fh.seek(-1, 2)
        fh.write(bytes([last[0] ^ 1]))
    with pytest.raises(ValueError, match="sha256"):
        enet.load_efficientnet_lite0(bad)


@pytest.mark.parametrize(
    ("name", "class_id", "label"),
    [("orange.jpg", 950, "orange"), ("baboon.jpg", 372, "baboon")],
)
def test_imagenet_top1(name: str, class_id: int, label: str) -> None:
    with torch.inference_mode():
        probs = fd.shared_model()(enet.normalize(eval_crop(name))).softmax(1)[0]
    assert int(probs.argmax()) == class_id
    assert LABELS.read_text().splitlines()[class_id].split(",")[0] == label
    assert float(probs[class_id]) > 0.5


def test_tf_same_padding_sizes() -> None:
    x = torch.zeros(1, 3, 225, 230)
    with torch.inference_mode():
        fmap = fd.shared_model().feature_map(x)
    assert fmap.shape == (1, 1280, 8, 8)  # ceil(225 / 32), ceil(230 / 32)


def test_patch_grid() -> None:
    assert enet.patch_origins(1920, 224, 112)[-1] == 1920 - 224
    assert fd.patch_count((1920, 1080)) == 17 * 9
    assert fd.patch_count((224, 224)) == 1
    small = Image.new("RGB", (150, 100), "white")
    assert fd.prepare(small).shape == (3, 224, 336)
    feats = fd.patch_features(small)
    assert feats.shape == (fd.patch_count(small.size), 1280) == (2, 1280)
    assert np.allclose(feats[0], feats[1], atol=1e-5)  # a flat image: equal patches


def test_frechet_matches_symmetric_closed_form() -> None:
    rng = np.random.default_rng(3)
    a = rng.normal(size=(60, 6)) @ rng.normal(size=(6, 6))
    b = rng.normal(0.5, 2.0, size=(80, 6))
    ca, cb = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    w, v = np.linalg.eigh(ca)
    root_a = (v * np.sqrt(w)) @ v.T
    tr_root = np.sqrt(np.clip(np.linalg.eigvalsh(root_a @ cb @ root_a), 0, None)).sum()
    want = np.sum((a.mean(0) - b.mean(0)) ** 2) + np.trace(ca) + np.trace(cb) - 2 * tr_root
    assert fd.frechet_distance(a, b, eps=0.0) == pytest.approx(want, rel=1e-9)
    with pytest.raises(ValueError):
        fd.frechet_distance(a[:1], b)


def _noisy(img: Image.Image, sigma: float, seed: int) -> Image.Image:
    arr = np.asarray(img, dtype=np.float64)
    arr = arr + np.random.default_rng(seed).normal(0.0, sigma, arr.shape)
    return Image.fromarray(np.clip(np.rint(arr), 0, 255).astype(np.uint8))


@pytest.fixture(scope="module")
def photos() -> list[Image.Image]:
    return [Image.open(DATA / n).convert("RGB") for n in PHOTOS]


@pytest.fixture(scope="module")
def ref_feats(photos: list[Image.Image]) -> list[np.ndarray]:
    return [fd.patch_features(im) for im in photos]


def test_distance_to_itself_is_zero(ref_feats: list[np.ndarray]) -> None:
    a = np.concatenate(ref_feats)
    shuffled = a[np.random.default_rng(0).permutation(len(a))]
    scale = np.trace(np.cov(a, rowvar=False))  # ~170: the size of a typical distance
    assert abs(fd.frechet_distance(a, shuffled)) < 1e-5 * scale
    assert fd.mean_feature_distance(ref_feats, ref_feats) == 0.0


def test_blur_is_farther_than_light_noise(
    photos: list[Image.Image], ref_feats: list[np.ndarray]
) -> None:
    noised = [_noisy(im, 2.0, i) for i, im in enumerate(photos)]
    blurred = [im.filter(ImageFilter.GaussianBlur(2.0)) for im in photos]
    r_noise = fd.report_from_features(ref_feats, [fd.patch_features(im) for im in noised])
    r_blur = fd.report_from_features(ref_feats, [fd.patch_features(im) for im in blurred])
    assert r_noise.n_images == 3
    assert r_noise.n_ref_patches == r_blur.n_test_patches == 16 + 16 + 12
    assert 0.0 < r_noise.frechet < r_blur.frechet
    assert 0.0 < r_noise.mean_l2 < r_blur.mean_l2

"""Feature distance for the renderer ablation (issue 4, section 6): the stand-in for FID.

No Inception, LPIPS or CLIP weights exist offline, so images are compared in the pooled
1280-d head features of EfficientNet-Lite0 with its ImageNet weights
(`bench/efficientnet_lite0.py`).

Patches: each image (RGB) is cut into 224 x 224 patches on a grid with a 112 px stride (50 %
overlap), plus a last row/column flush with the bottom/right edge so every pixel is covered;
each patch goes through the network on its own at native resolution (no resizing, so text
and codec artefacts are seen at their real scale) and is average-pooled to one 1280-d
vector. An image whose shorter side is below 224 px is first scaled up (bicubic, aspect kept)
to a shorter side of 224. A 1920 x 1080 image gives 17 x 9 = 153 patches.
Cost on one CPU thread: ~35 ms a patch, so ~5-7 s per 1920 x 1080 image (pass
stride=224 for 45 patches, ~2 s); each `frechet_distance` (1280 x 1280 sqrtm) ~3 s. Reuse the
references' features across test sets (`report_from_features`).

Two distances:
- `frechet_distance`: the FID formula on the two sets of patch features,
  |mu_a - mu_b|^2 + Tr(S_a + S_b - 2 (S_a S_b)^(1/2)). Like FID it is biased upwards when
  there are few samples, and with fewer patches than 1281 the covariances are singular
  (guarded by eps on the diagonal). Compare values only between sets with the same patch
  counts (same images, same grid), never across set sizes; the report gives the counts.
- `mean_feature_distance`: for paired sets (test i renders reference i), the L2 distance
  between the two images' mean patch features, averaged over pairs. Less biased for a
  handful of images; it ignores the spread of features.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image
from scipy.linalg import sqrtm

from bench.efficientnet_lite0 import (
    FEATURE_DIM,
    INPUT_SIZE,
    EfficientNetLite0,
    load_efficientnet_lite0,
    patch_origins,
    pooled_features,
)

PATCH = INPUT_SIZE
STRIDE = INPUT_SIZE // 2
EPS = 1e-6


@functools.cache
def shared_model() -> EfficientNetLite0:
    """The loaded model, once per process."""
    return load_efficientnet_lite0()


def prepare(img: Image.Image, patch: int = PATCH) -> torch.Tensor:
    """PIL image -> (3, H, W) float32 RGB in [0, 255], scaled up (bicubic, aspect kept) when
    its shorter side is below `patch`."""
    img = img.convert("RGB")
    short = min(img.size)
    if short < patch:
        w, h = img.size
        img = img.resize(
            (max(patch, round(w * patch / short)), max(patch, round(h * patch / short))),
            Image.Resampling.BICUBIC,
        )
    return torch.from_numpy(np.array(img, dtype=np.float32)).permute(2, 0, 1)


def patch_count(size: tuple[int, int], patch: int = PATCH, stride: int = STRIDE) -> int:
    """Number of patches `patch_features` takes from an image of `size` = (width, height)."""
    w, h = size
    short = min(w, h)
    if short < patch:
        w, h = max(patch, round(w * patch / short)), max(patch, round(h * patch / short))
    return len(patch_origins(w, patch, stride)) * len(patch_origins(h, patch, stride))


def patch_features(img: Image.Image, patch: int = PATCH, stride: int = STRIDE) -> np.ndarray:
    """Pooled EfficientNet-Lite0 features of the image's patches, (n, 1280) float64."""
    feats = pooled_features(shared_model(), prepare(img, patch)[None], patch=patch, stride=stride)
    return feats.numpy().astype(np.float64)


def frechet_distance(feats_a: np.ndarray, feats_b: np.ndarray, eps: float = EPS) -> float:
    """Frechet distance between Gaussians fitted to two feature sets (n_a, d), (n_b, d).

    `eps` is added to both covariance diagonals so the product has a well-defined square
    root when there are fewer samples than dimensions; the tiny imaginary part that sqrtm
    can return from round-off is dropped. Not clamped: identical sets give ~0 (possibly a
    tiny negative number from round-off). Needs at least 2 rows per set.
    """
    a = np.asarray(feats_a, dtype=np.float64)
    b = np.asarray(feats_b, dtype=np.float64)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1]:
        raise ValueError(f"feature sets must be (n, d) with equal d: {a.shape}, {b.shape}")
    if len(a) < 2 or len(b) < 2:
        raise ValueError("need at least 2 feature vectors per set for a covariance")
    diag = eps * np.eye(a.shape[1])
    cov_a = np.cov(a, rowvar=False) + diag
    cov_b = np.cov(b, rowvar=False) + diag
    root = sqrtm(cov_a @ cov_b)
    if not np.isfinite(root).all():
        raise FloatingPointError("sqrtm of the covariance product is not finite")
    mean_term = float(np.sum((a.mean(0) - b.mean(0)) ** 2))
    trace_term = float(np.trace(cov_a) + np.trace(cov_b) - 2.0 * np.trace(root).real)
    return mean_term + trace_term


def mean_feature_distance(
    feats_refs: Sequence[np.ndarray], feats_tests: Sequence[np.ndarray]
) -> float:
    """Paired distance: mean over i of |mean(feats_refs[i]) - mean(feats_tests[i])|_2."""
    if len(feats_refs) != len(feats_tests) or not feats_refs:
        raise ValueError("need equally many (>= 1) reference and test feature sets")
    return float(
        np.mean(
            [
                np.linalg.norm(np.mean(r, axis=0) - np.mean(t, axis=0))
                for r, t in zip(feats_refs, feats_tests, strict=True)
            ]
        )
    )


@dataclass(frozen=True)
class FeatureDistance:
    """Both distances of a test set against its references, with the sample sizes."""

    frechet: float
    mean_l2: float
    n_images: int
    n_ref_patches: int
    n_test_patches: int
    feature_dim: int = FEATURE_DIM


def feature_distance_report(
    refs: Sequence[Image.Image],
    tests: Sequence[Image.Image],
    patch: int = PATCH,
    stride: int = STRIDE,
) -> FeatureDistance:
    """Frechet and paired mean-feature distances of `tests` (test i renders refs[i])."""
    fr = [patch_features(im, patch, stride) for im in refs]
    ft = [patch_features(im, patch, stride) for im in tests]
    return report_from_features(fr, ft)


def report_from_features(
    feats_refs: Sequence[np.ndarray], feats_tests: Sequence[np.ndarray]
) -> FeatureDistance:
    """`feature_distance_report` on precomputed per-image features (reuse the references'
    features across many test sets)."""
    a, b = np.concatenate(feats_refs), np.concatenate(feats_tests)
    return FeatureDistance(
        frechet=frechet_distance(a, b),
        mean_l2=mean_feature_distance(feats_refs, feats_tests),
        n_images=len(feats_refs),
        n_ref_patches=len(a),
        n_test_patches=len(b),
    )


def feature_distance(refs: Sequence[Image.Image], tests: Sequence[Image.Image]) -> float:
    """Frechet distance of the patch features of two image sets (see module docstring)."""
    return feature_distance_report(refs, tests).frechet

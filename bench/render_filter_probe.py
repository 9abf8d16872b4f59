"""Probe: which final-pixel filter of the diffusion render helps on the VALIDATION screens.

    .venv/bin/python bench/render_filter_probe.py --qualities 1 3 5 --threads 2

Renders each val screenshot once with `min_change=0`, keeps the sampler's final float
estimate (glyph pixels kept) and applies the pipeline's own final-pixel rule
(`pipeline._drop_small_changes`) with candidate thresholds and windows: per pixel, and on
the change averaged over 3x3 or 5x5 (which drops isolated speckles). Reports PSNR,
MS-SSIM, the paired feature distance and the Frechet distance over the set (224 px
EfficientNet-Lite0 patches, as in diffusion_bench.py).
Writes bench/results/render_filter_probe.md. Never reads the test split.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("OMP_THREAD_LIMIT", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from PIL import Image  # noqa: E402

from bench import metrics  # noqa: E402
from bench.diffusion_bench import FEATURE_STRIDE  # noqa: E402
from bench.diffusion_tune import val_screens  # noqa: E402
from bench.feature_distance import (  # noqa: E402
    frechet_distance,
    mean_feature_distance,
    patch_features,
)
from picd_desktop import api  # noqa: E402
from picd_desktop.render.diffusion.model import anchor_image  # noqa: E402
from picd_desktop.render.diffusion.pipeline import _drop_small_changes  # noqa: E402
from picd_desktop.render.diffusion.renderer import DiffusionRenderer  # noqa: E402
from picd_desktop.render.diffusion.tensors import glyph_tensor, image_tensor, to_image  # noqa: E402,E501
from picd_desktop.render.diffusion.weights import DEFAULT_MODEL  # noqa: E402
from picd_desktop.text.glyphs import draw_glyphs  # noqa: E402
from picd_desktop.text.layer import TextLayer  # noqa: E402

ROOT = Path(__file__).resolve().parent


def final_estimate(renderer: DiffusionRenderer, base: Image.Image, glyphs: Image.Image,
                   layer: TextLayer) -> torch.Tensor:
    """The sampler's last clean-image estimate (before the final-pixel rule), cropped."""
    steps: list[torch.Tensor] = []
    renderer.pipeline(base, glyphs, layer, renderer.settings,
                      callback_on_step_end=lambda k, n, est: steps.append(est))
    return steps[-1]


# (window, thresholds): the candidate rules, window 1 = per pixel
CANDIDATES = ((1, (4, 8, 12)), (3, (4, 6, 8)), (5, (3, 4, 6)))


def filters(x0: torch.Tensor, anchor: torch.Tensor) -> dict[str, np.ndarray]:
    """Candidate outputs (uint8 HxWx3) from the sampler's final estimate and the anchor."""
    out = {"raw (min_change 0)": np.asarray(to_image(x0))}
    for window, thrs in CANDIDATES:
        for thr in thrs:
            name = f"min_change {thr}" if window == 1 else f"{window}x{window}-mean change >= {thr}"
            out[name] = np.asarray(to_image(_drop_small_changes(x0, anchor, thr, window)))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--qualities", type=int, nargs="+", default=[1, 3, 5])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--limit", type=int, default=11)
    ap.add_argument("--model", default=DEFAULT_MODEL)
    ap.add_argument("--out", type=Path, default=ROOT / "results" / "render_filter_probe.md")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    paths = val_screens(args.limit)
    renderer = DiffusionRenderer(device="cpu", model=args.model)
    renderer.settings = replace(renderer.settings, min_change=0.0)
    ref_feats, rows = {}, {}
    for path in paths:
        original = Image.open(path).convert("RGB")
        ref_feats[path.name] = patch_features(original, stride=FEATURE_STRIDE)
        for q in args.qualities:
            data = api.encode(path, quality=q)
            base, layer = api.decode_layers(data)
            glyphs = draw_glyphs(layer)
            comp = np.asarray(api.decode(data).convert("RGB"))
            anchor = anchor_image(image_tensor(base), glyph_tensor(glyphs))
            cands = {"composite": comp} | filters(final_estimate(renderer, base, glyphs, layer),
                                                  anchor)
            for name, arr in cands.items():
                img = Image.fromarray(arr)
                rows.setdefault((q, name), []).append(
                    (path.name, metrics.psnr(original, img), metrics.ms_ssim(original, img),
                     patch_features(img, stride=FEATURE_STRIDE)))
            print(path.name, q, flush=True)
    lines = ["# Diffusion render: final-pixel filters on the validation screenshots", "",
             f"Command: `python bench/render_filter_probe.py {' '.join(sys.argv[1:])}`", "",
             f"Machine: {platform.machine()}, {os.cpu_count()} cores; "
             f"date {time.strftime('%Y-%m-%d')}; {len(paths)} val screenshots; model "
             f"`{args.model}`, 4 steps from 0.4, glyph pixels kept.", "",
             "Filters: the pipeline's `_drop_small_changes` on the float estimate (largest channel "
             "change from the anchor, averaged over the window). "
             "fd_frechet over all 224 px patches of the set; fd_l2 paired, per image.", "",
             "| quality | output | psnr | ms_ssim | fd_l2 | fd_frechet |",
             "|---|---|---|---|---|---|"]
    for (q, name), vals in sorted(rows.items(), key=lambda kv: kv[0][0]):
        names = [v[0] for v in vals]
        feats = [v[3] for v in vals]
        fd_l2 = mean_feature_distance([ref_feats[n] for n in names], feats)
        fr = frechet_distance(np.concatenate([ref_feats[n] for n in names]),
                              np.concatenate(feats))
        lines.append(f"| {q} | {name} | {np.mean([v[1] for v in vals]):.3f} | "
                     f"{np.mean([v[2] for v in vals]):.4f} | {fd_l2:.3f} | {fr:.3f} |")
    args.out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()

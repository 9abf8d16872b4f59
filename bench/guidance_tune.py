"""Choose the guidance strengths (`GuidanceConfig.default_on`) on the VALIDATION screenshots.

    .venv/bin/python bench/guidance_tune.py --quality 1 --limit 4 --threads 2

For each (OCR, re-compression) strength pair, the diffusion renderer at its default settings
renders the val screenshots encoded at `--quality`; mean PSNR, MS-SSIM, text accuracy and the
EfficientNet-Lite0 feature distance (Frechet / paired L2 of 224 px patches, as diffusion.md)
against the originals, beside the composite and unguided diffusion on the same files. Writes
bench/results/guidance_tune.md; the test split (diffusion.md) is never used for this choice.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_THREAD_LIMIT", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from PIL import Image  # noqa: E402

from bench import metrics  # noqa: E402
from bench.diffusion_bench import FEATURE_STRIDE  # noqa: E402
from bench.diffusion_tune import val_screens  # noqa: E402
from bench.feature_distance import patch_features, report_from_features  # noqa: E402
from picd_desktop import api  # noqa: E402
from picd_desktop.render.diffusion.guidance import GuidanceConfig  # noqa: E402
from picd_desktop.render.diffusion.renderer import DiffusionRenderer  # noqa: E402
from picd_desktop.text.glyphs import draw_glyphs  # noqa: E402

ROOT = Path(__file__).resolve().parent
GRID = [(0.0, 0.0), (0.004, 0.0), (0.02, 0.0), (0.05, 0.0), (0.0, 0.0025), (0.0, 0.01),
        (0.02, 0.0025), (0.004, 0.01)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quality", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--limit", type=int, default=4)
    ap.add_argument("--out", type=Path, default=ROOT / "results" / "guidance_tune.md")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    paths = val_screens(args.limit)
    renderers = {"composite": None}
    for ocr, rec in GRID:
        name = "diffusion" if ocr == rec == 0 else f"guided ocr {ocr:g}, recompress {rec:g}"
        renderers[name] = DiffusionRenderer(device="cpu", guidance=GuidanceConfig(ocr, rec))
    scores: dict[str, list[tuple[float, float, float]]] = {n: [] for n in renderers}
    feats: dict[str, list[np.ndarray]] = {n: [] for n in renderers}
    ref_feats, seconds = [], {n: 0.0 for n in renderers}
    for path in paths:
        original = Image.open(path).convert("RGB")
        ref = metrics.ocr_words(original)
        ref_feats.append(patch_features(original, stride=FEATURE_STRIDE))
        data = api.encode(path, quality=args.quality)
        base, layer = api.decode_layers(data)
        glyphs = draw_glyphs(layer)
        for name, renderer in renderers.items():
            t0 = time.perf_counter()
            img = api.decode(data) if renderer is None else renderer.render(base, glyphs, layer)
            seconds[name] += time.perf_counter() - t0
            acc = metrics.text_accuracy_words(ref, metrics.ocr_words(img))
            scores[name].append((metrics.psnr(original, img), metrics.ms_ssim(original, img),
                                 acc))
            feats[name].append(patch_features(img, stride=FEATURE_STRIDE))
        print(path.name, flush=True)
    lines = ["# Guidance strengths on the validation screenshots", "",
             f"Command: `python bench/guidance_tune.py {' '.join(sys.argv[1:])}`", "",
             f"Machine: {platform.machine()}, {os.cpu_count()} cores, torch threads "
             f"{args.threads}; date {time.strftime('%Y-%m-%d')}; {len(paths)} val screenshots "
             f"at quality {args.quality}; renderer weights as shipped.", "",
             "| renderer | PSNR | MS-SSIM | text acc | Frechet | L2 | s / image |",
             "|---|---|---|---|---|---|---|"]
    for name, vals in scores.items():
        fd = report_from_features(ref_feats, feats[name])
        accs = [v[2] for v in vals if v[2] == v[2]]
        lines.append(f"| {name} | {np.mean([v[0] for v in vals]):.3f} | "
                     f"{np.mean([v[1] for v in vals]):.4f} | "
                     f"{np.mean(accs) if accs else float('nan'):.4f} | {fd.frechet:.2f} | "
                     f"{fd.mean_l2:.3f} | {seconds[name] / len(paths):.1f} |")
    args.out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()

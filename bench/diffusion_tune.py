"""Choose the diffusion renderer's default settings on the VALIDATION screenshots.

    .venv/bin/python bench/diffusion_tune.py --qualities 1 3 --threads 2

For each candidate (steps, strength, keep_glyphs, min_change, change_window,
keep_drawn_words): mean PSNR, MS-SSIM, text accuracy, the paired EfficientNet-Lite0 feature
distance (fd_l2, bench/feature_distance.py) and the Frechet distance over the val split,
against the composite renderer on the same files. Writes bench/results/diffusion_tune.md;
the defaults in picd_desktop/render/diffusion/pipeline.py (RenderSettings) come from it, never
from the test split that diffusion.md reports.
"""

from __future__ import annotations

import argparse
import json
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
from bench.feature_distance import (  # noqa: E402
    frechet_distance,
    mean_feature_distance,
    patch_features,
)
from picd_desktop import api  # noqa: E402
from picd_desktop.render.diffusion.pipeline import RenderSettings  # noqa: E402
from picd_desktop.render.diffusion.renderer import DiffusionRenderer  # noqa: E402
from picd_desktop.render.diffusion.weights import DEFAULT_MODEL  # noqa: E402
from picd_desktop.text.glyphs import draw_glyphs  # noqa: E402

ROOT = Path(__file__).resolve().parent
# (steps, strength, keep_glyphs, min_change, change_window, keep_drawn_words); earlier runs of
# this script (git history of its results) fixed 4 steps from 0.4, then keep_glyphs, then
# min_change 4 over a 3 px window, then kept keep_drawn_words off; this grid asks how many of
# the last steps of that schedule (t = 399, 299, 199, 99) the model needs
GRID = [(4, 0.4, True, 4.0, 3, False), (3, 0.3, True, 4.0, 3, False),
        (2, 0.2, True, 4.0, 3, False), (1, 0.1, True, 4.0, 3, False)]


def val_screens(limit: int) -> list[Path]:
    """The first `limit` screenshots of the val split (tuning never sees the test split)."""
    manifest = json.loads((ROOT / "set_manifest.json").read_text())
    return [ROOT / "data" / e["file"] for e in manifest["images"]
            if e.get("split") == "val"][:limit]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--qualities", type=int, nargs="+", default=[1, 3])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--limit", type=int, default=8)
    ap.add_argument("--model", default=DEFAULT_MODEL)
    ap.add_argument("--out", type=Path, default=ROOT / "results" / "diffusion_tune.md")
    ap.add_argument("--shipped-only", action="store_true",
                    help="only the shipped RenderSettings (to compare models, not settings)")
    ap.add_argument("--dump", type=Path, help="also write per-image rows here (JSON lines)")
    args = ap.parse_args()
    shipped = RenderSettings()
    grid = ([(shipped.steps, shipped.strength, shipped.keep_glyphs, shipped.min_change,
              shipped.change_window, shipped.keep_drawn_words)] if args.shipped_only else GRID)
    torch.set_num_threads(args.threads)
    paths = val_screens(args.limit)
    renderer = DiffusionRenderer(device="cpu", model=args.model)
    sums: dict[tuple, list[tuple]] = {}
    all_ref_feats = []
    for path in paths:
        original = Image.open(path).convert("RGB")
        ref = metrics.ocr_words(original)
        ref_feats = patch_features(original, stride=FEATURE_STRIDE)
        all_ref_feats.append(ref_feats)
        for q in args.qualities:
            data = api.encode(path, quality=q)
            base, layer = api.decode_layers(data)
            glyphs = draw_glyphs(layer)
            composite = api.decode(data)
            candidates = {("composite", q): composite}
            for steps, strength, keep, min_change, window, words in grid:
                renderer.settings = replace(renderer.settings, steps=steps, strength=strength,
                                            keep_glyphs=keep, min_change=min_change,
                                            change_window=window, keep_drawn_words=words)
                name = (f"{steps} steps, strength {strength}, keep_glyphs {keep}, "
                        f"min_change {min_change:g}, window {window}, keep_drawn_words {words}")
                candidates[(name, q)] = renderer.render(base, glyphs, layer)
            for key, img in candidates.items():
                acc = metrics.text_accuracy_words(ref, metrics.ocr_words(img))
                feats = patch_features(img, stride=FEATURE_STRIDE)
                fd = mean_feature_distance([ref_feats], [feats])
                sums.setdefault(key, []).append(
                    (metrics.psnr(original, img), metrics.ms_ssim(original, img), acc, fd,
                     feats))
                if args.dump is not None:
                    with args.dump.open("a") as f:
                        f.write(json.dumps({"file": path.name, "renderer": key[0], "quality": q,
                                            "psnr": sums[key][-1][0], "text_acc": acc,
                                            "fd_l2": fd}) + "\n")
            print(path.name, q, flush=True)
    lines = ["# Diffusion renderer: settings on the validation screenshots", "",
             f"Command: `python bench/diffusion_tune.py {' '.join(sys.argv[1:])}`", "",
             f"Machine: {platform.machine()}, {os.cpu_count()} cores; "
             f"date {time.strftime('%Y-%m-%d')}; {len(paths)} val screenshots; model "
             f"`{args.model}`.", "",
             "fd_l2: paired mean-feature L2 of 224 px EfficientNet-Lite0 patch features, per "
             "image, averaged; fd_frechet: Frechet distance of all patches of the set (compare "
             "within one quality only). Steps and strength (4 from 0.4) were chosen by an "
             "earlier grid of this script with render-v1 (git history of this file).", "",
             "| renderer | quality | psnr | ms_ssim | text_acc | fd_l2 | fd_frechet |",
             "|---|---|---|---|---|---|---|"]
    refs = np.concatenate(all_ref_feats)
    for (name, q), vals in sorted(sums.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        accs = [v[2] for v in vals if v[2] == v[2]]
        lines.append(f"| {name} | {q} | {sum(v[0] for v in vals) / len(vals):.3f} | "
                     f"{sum(v[1] for v in vals) / len(vals):.4f} | "
                     f"{sum(accs) / max(1, len(accs)):.4f} | "
                     f"{sum(v[3] for v in vals) / len(vals):.3f} | "
                     f"{frechet_distance(refs, np.concatenate([v[4] for v in vals])):.3f} |")
    args.out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()

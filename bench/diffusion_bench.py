"""Ablation of the renderers, as in the PICD paper: base only, composite, diffusion without the
glyph input, diffusion with the hybrid adapter, and diffusion plus guidance.

    .venv/bin/python bench/diffusion_bench.py --qualities 1 3 5 --screens 16 --threads 2

Every image is encoded once per quality (the same file for every renderer). Metrics against
the original: text and character accuracy (plain Tesseract, as in picd.md), word-box accuracy
(bench/word_boxes.py), PSNR, MS-SSIM,
and the EfficientNet-Lite0 feature distance (Frechet distance and paired mean-feature L2 of
224 px patch features, bench/feature_distance.py) per set and quality. Decode seconds are the
renderer's wall time on this machine. Writes bench/results/diffusion.{csv,md}.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
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
from bench.feature_distance import (  # noqa: E402
    mean_feature_distance,
    patch_features,
    report_from_features,
)
from bench.word_boxes import boxed_reference, boxed_word_scores  # noqa: E402
from picd_desktop import api  # noqa: E402
from picd_desktop.render.composite import CompositeRenderer  # noqa: E402
from picd_desktop.render.diffusion.guidance import GuidanceConfig  # noqa: E402
from picd_desktop.render.diffusion.renderer import DiffusionRenderer  # noqa: E402
from picd_desktop.render.diffusion.weights import DEFAULT_MODEL  # noqa: E402
from picd_desktop.text.glyphs import draw_glyphs  # noqa: E402

ROOT = Path(__file__).resolve().parent
FIELDS = ["image", "set", "quality", "variant", "bpp", "psnr", "ms_ssim", "text_acc",
          "word_acc", "wrong_conf", "char_acc", "fd_l2", "dec_s"]
FEATURE_STRIDE = 224  # non-overlapping patches: 45 per 1920x1080 image
NOGLYPH_MODEL = "render-noglyph-v3"  # the ablation without glyph input, trained like the default


def variants(guided_qualities: set[int], model: str = DEFAULT_MODEL,
             noglyph_model: str = NOGLYPH_MODEL) -> dict:
    """name -> (factory, qualities it runs at or None for all)."""
    return {
        "base": (None, None),
        "composite": (CompositeRenderer, None),
        "diffusion-noglyph": (lambda: DiffusionRenderer(device="cpu", model=noglyph_model),
                              None),
        "diffusion": (lambda: DiffusionRenderer(device="cpu", model=model), None),
        "diffusion+guidance": (lambda: DiffusionRenderer(
            device="cpu", model=model, guidance=GuidanceConfig.default_on()), guided_qualities),
    }


def pick_images(data: Path, n_screens: int, n_photos: int) -> list[tuple[Path, str]]:
    manifest = json.loads((ROOT / "set_manifest.json").read_text())
    split = {Path(e["file"]).name: e.get("split", "test") for e in manifest["images"]}
    screens = [p for p in sorted(data.glob("screens/*.png")) if split.get(p.name) == "test"]
    photos = sorted(data.glob("photos/*.png"))
    step = max(1, len(screens) // max(1, n_screens))
    return ([(p, "screens") for p in screens[::step][:n_screens]]
            + [(p, "photos") for p in photos[:n_photos]])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ROOT / "data")
    ap.add_argument("--qualities", type=int, nargs="+", default=[1, 3, 5])
    ap.add_argument("--guided-qualities", type=int, nargs="*", default=[1])
    ap.add_argument("--screens", type=int, default=16)
    ap.add_argument("--photos", type=int, default=14)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--model", default=DEFAULT_MODEL, help="the diffusion renderer's weights")
    ap.add_argument("--noglyph-model", default=NOGLYPH_MODEL, help="the no-glyph ablation's")
    ap.add_argument("--variants", nargs="+", default=None,
                    help="run only these renderers (default: all of them)")
    ap.add_argument("--cache", type=Path, default=Path("/tmp/picd-diffusion-bench"))
    ap.add_argument("--out", type=Path, default=ROOT / "results" / "diffusion")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    args.cache.mkdir(parents=True, exist_ok=True)
    images = pick_images(args.data, args.screens, args.photos)
    table = variants(set(args.guided_qualities), args.model, args.noglyph_model)
    unknown = set(args.variants or ()) - set(table)
    if unknown:
        ap.error(f"unknown variants {sorted(unknown)}; choose from {list(table)}")
    table = {k: v for k, v in table.items() if args.variants is None or k in args.variants}
    renderers = {name: f() for name, (f, _) in table.items() if f is not None}
    rows: list[dict] = []
    originals: dict[str, np.ndarray] = {}  # image -> the original's patch features
    feats: dict[tuple, list[tuple[str, np.ndarray]]] = {}  # (set, q, variant) -> features
    for path, group in images:
        original = Image.open(path).convert("RGB")
        ref_words = metrics.ocr_words(original)
        ref_boxes = boxed_reference(original)
        originals[path.name] = patch_features(original, stride=FEATURE_STRIDE)
        for q in args.qualities:
            picd = args.cache / f"{path.stem}.q{q}.picd"
            if not picd.exists():
                picd.write_bytes(api.encode(path, quality=q))
            data = picd.read_bytes()
            base, layer = api.decode_layers(data)
            glyphs = draw_glyphs(layer)
            for name, (_, only) in table.items():
                if only is not None and q not in only:
                    continue
                t0 = time.perf_counter()
                recon = base if name == "base" else renderers[name].render(base, glyphs, layer)
                dec_s = time.perf_counter() - t0
                words = metrics.ocr_words(recon)
                boxed = boxed_word_scores(ref_boxes, recon)
                row = {"image": path.name, "set": group, "quality": q, "variant": name,
                       "bpp": metrics.bpp(len(data), *original.size),
                       "psnr": metrics.psnr(original, recon),
                       "ms_ssim": metrics.ms_ssim(original, recon),
                       "text_acc": metrics.text_accuracy_words(ref_words, words),
                       "word_acc": boxed.accuracy, "wrong_conf": boxed.confident_wrong,
                       "char_acc": metrics.char_accuracy_words(ref_words, words),
                       "dec_s": dec_s}
                recon_feats = patch_features(recon, stride=FEATURE_STRIDE)
                row["fd_l2"] = mean_feature_distance([originals[path.name]], [recon_feats])
                rows.append(row)
                feats.setdefault((group, q, name), []).append((path.name, recon_feats))
                print(json.dumps(row), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.with_suffix(".csv").open("w", newline="") as fp:
        writer = csv.DictWriter(fp, FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    write_markdown(rows, originals, feats, args, args.out.with_suffix(".md"))
    print(args.out.with_suffix(".md").read_text())


def _mean(values: list[float]) -> float:
    vals = [v for v in values if not (math.isnan(v) or math.isinf(v))]
    return sum(vals) / len(vals) if vals else math.nan


def write_markdown(rows: list[dict], originals: dict, feats: dict, args: argparse.Namespace,
                   out: Path) -> None:
    command = "python bench/diffusion_bench.py " + " ".join(sys.argv[1:])
    lines = [
        "# Renderer ablation: base, composite, diffusion without glyphs, diffusion, + guidance",
        "", f"Command: `{command}`", "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, torch threads {args.threads}, "
        f"CPU only; date {time.strftime('%Y-%m-%d')}.", "",
        f"Models: diffusion `{args.model}`, diffusion-noglyph `{args.noglyph_model}`.", "",
        "Means per set, quality and renderer over the same files. text_acc / char_acc: plain "
        "Tesseract on the original vs on the render (as in picd.md). word_acc: the same "
        "words read one by one at their original boxes (bench/word_boxes.py), free of the page "
        "layout analysis, which can drop a whole table column over a level's change around "
        "it; wrong_conf: the fraction of those words read, confidently (>= 85), as another "
        "word: clean, wrong text. fd_frechet / fd_l2: "
        "EfficientNet-Lite0 feature distance to the originals (Frechet distance of 224 px patch "
        "features over the set, and the paired mean-feature L2; lower is better; few patches "
        "make the Frechet value biased upwards, so compare it only within one set and "
        "quality). dec_s: the renderer's seconds per image (base decode excluded).", "",
    ]
    cols = ["set", "quality", "variant", "n", "bpp", "psnr", "ms_ssim", "text_acc", "word_acc",
            "wrong_conf", "char_acc", "fd_frechet", "fd_l2", "dec_s"]
    lines += ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    keys = sorted({(r["set"], r["quality"], r["variant"]) for r in rows},
                  key=lambda k: (k[0], k[1], list(variants(set())).index(k[2])))
    for group, q, name in keys:
        sel = [r for r in rows if (r["set"], r["quality"], r["variant"]) == (group, q, name)]
        pairs = feats[(group, q, name)]
        fd = report_from_features([originals[i] for i, _ in pairs], [f for _, f in pairs])
        vals = {"set": group, "quality": q, "variant": name, "n": len(sel)}
        for key in ("bpp", "psnr", "ms_ssim", "text_acc", "word_acc", "wrong_conf", "char_acc",
                    "dec_s"):
            vals[key] = _mean([r[key] for r in sel])
        vals["fd_frechet"], vals["fd_l2"] = fd.frechet, fd.mean_l2
        lines.append("| " + " | ".join(
            f"{vals[c]:.4f}" if isinstance(vals[c], float) else str(vals[c]) for c in cols)
            + " |")
    lines += paired_lines(rows)
    out.write_text("\n".join(lines) + "\n")


PAIRED = (("psnr", 1), ("ms_ssim", 1), ("text_acc", 1), ("word_acc", 1), ("wrong_conf", -1),
          ("fd_l2", -1))  # metric, +1 when higher is better


def paired_lines(rows: list[dict], a: str = "diffusion", b: str = "composite") -> list[str]:
    """Per-image differences a - b: the mean, and the images where a is better / worse."""
    lines = ["", f"Per image, {a} minus {b} on the same file: mean difference (images where "
             f"{a} is better / worse; ties and images without words left out).", "",
             "| set | quality | n | " + " | ".join(m for m, _ in PAIRED) + " |",
             "|" + "---|" * (3 + len(PAIRED))]
    by_key = {(r["set"], r["quality"], r["variant"], r["image"]): r for r in rows}
    for group, q in sorted({(r["set"], r["quality"]) for r in rows}):
        images = sorted(i for g, qq, v, i in by_key if (g, qq, v) == (group, q, a)
                        and (group, q, b, i) in by_key)
        if not images:
            continue
        cells = []
        for metric, sign in PAIRED:
            diffs = [by_key[(group, q, a, i)][metric] - by_key[(group, q, b, i)][metric]
                     for i in images]
            diffs = [d for d in diffs if not math.isnan(d)]
            if not diffs:
                cells.append("-")
                continue
            better = sum(sign * d > 1e-9 for d in diffs)
            worse = sum(sign * d < -1e-9 for d in diffs)
            cells.append(f"{sum(diffs) / len(diffs):+.4f} ({better}/{worse})")
        lines.append(f"| {group} | {q} | {len(images)} | " + " | ".join(cells) + " |")
    return lines


if __name__ == "__main__":
    main()

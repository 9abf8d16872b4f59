"""How much of the base's loss a linear filter can undo: a bound the renderer must beat.

Usage: .venv/bin/python bench/restoration_probe.py [--cache build/render_cache] [--k 7]

On the renderer's training cache (`picd_desktop.train.render_data`: originals, decoded bases
at qualities 1/3/5, glyph images) it fits, per domain and quality, one least-squares KxK
filter (all three channels in, each channel out, plus a constant) that maps the anchor (glyphs
over the base) to the residual original - anchor, on pixels outside the glyphs of the training
images, and scores it on the held-out images (every 12th, as the renderer's training holds
out). A gain here is restoration a learned renderer can find; none means only priors can help.
Writes bench/results/restoration_probe.md.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from picd_desktop.train.renderer import VAL_EVERY  # noqa: E402

ROOT = Path(__file__).resolve().parent


def _anchor(base: np.ndarray, glyph: np.ndarray) -> np.ndarray:
    """Glyphs (premultiplied RGB + alpha, uint8) over the base, in [0, 1]."""
    alpha = glyph[..., 3:4] / 255.0
    return base / 255.0 * (1 - alpha) + glyph[..., :3] / 255.0


def _patches(img: np.ndarray, ys: np.ndarray, xs: np.ndarray, k: int) -> np.ndarray:
    """(n, k*k*3 + 1) neighbourhoods of an image padded by k // 2, plus a constant."""
    cols = [img[ys + dy, xs + dx] for dy in range(k) for dx in range(k)]
    return np.concatenate(cols + [np.ones((len(ys), 1))], 1)


def probe(cache: Path, k: int, quality: int, domain: str, seed: int = 0) -> dict | None:
    """Fit on the training images, score on the held-out ones (PSNR outside glyphs)."""
    rng = np.random.default_rng(seed)
    entries = json.loads((cache / "manifest.json").read_text())
    split: dict[str, list] = {"train": [], "val": []}
    r = k // 2
    for i, e in enumerate(entries):
        if e["domain"] != domain or quality not in e["qualities"]:
            continue
        part = "val" if i % VAL_EVERY == VAL_EVERY - 1 else "train"
        orig = np.asarray(Image.open(cache / f"{e['name']}.png").convert("RGB"), float) / 255
        base = np.asarray(Image.open(cache / f"{e['name']}.q{quality}.base.png").convert("RGB"),
                          float)
        glyph = np.asarray(Image.open(cache / f"{e['name']}.glyph.png").convert("RGBA"), float)
        anchor = _anchor(base, glyph)
        h, w = orig.shape[:2]
        n = min(h * w, 6000 if part == "train" else 20000)
        ys, xs = rng.integers(0, h, n), rng.integers(0, w, n)
        keep = glyph[ys, xs, 3] == 0
        ys, xs = ys[keep], xs[keep]
        padded = np.pad(anchor, ((r, r), (r, r), (0, 0)), "edge")
        split[part].append((_patches(padded, ys, xs, k), orig[ys, xs] - anchor[ys, xs]))
    if not split["train"] or not split["val"]:
        return None
    x = np.concatenate([a for a, _ in split["train"]])
    y = np.concatenate([b for _, b in split["train"]])
    xv = np.concatenate([a for a, _ in split["val"]])
    yv = np.concatenate([b for _, b in split["val"]])
    weights = np.linalg.solve(x.T @ x + 1e-3 * np.eye(x.shape[1]), x.T @ y)
    mse_anchor, mse_filtered = float((yv ** 2).mean()), float(((yv - xv @ weights) ** 2).mean())
    return {"train_pixels": len(x), "val_images": len(split["val"]), "val_pixels": len(xv),
            "anchor_db": 10 * math.log10(1 / mse_anchor),
            "filtered_db": 10 * math.log10(1 / mse_filtered)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", type=Path, default=Path("build/render_cache"))
    ap.add_argument("--k", type=int, default=7, help="filter side")
    ap.add_argument("--qualities", type=int, nargs="+", default=[1, 3, 5])
    ap.add_argument("--out", type=Path, default=ROOT / "results" / "restoration_probe.md")
    args = ap.parse_args()
    lines = ["# Linear restoration probe: what one KxK filter recovers from the anchor", "",
             f"Command: `python bench/restoration_probe.py {' '.join(sys.argv[1:])}`", "",
             f"Cache: `{args.cache}` (the renderer's training data; held out: every "
             f"{VAL_EVERY}th image). One {args.k}x{args.k} least-squares filter per domain and "
             "quality, anchor (glyphs over the base) -> original, on pixels outside the glyphs; "
             "PSNR over those pixels of the held-out images.", "",
             "| domain | quality | train pixels | val images | anchor dB | filtered dB | gain dB |",
             "|---|---|---|---|---|---|---|"]
    for domain in ("screen", "photo"):
        for q in args.qualities:
            res = probe(args.cache, args.k, q, domain)
            if res is None:
                continue
            lines.append(f"| {domain} | {q} | {res['train_pixels']} | {res['val_images']} | "
                         f"{res['anchor_db']:.2f} | {res['filtered_db']:.2f} | "
                         f"{res['filtered_db'] - res['anchor_db']:+.2f} |")
            print(lines[-1], flush=True)
    args.out.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()

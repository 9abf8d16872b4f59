"""Where the learned codec's quality stops: its transforms at unlimited rate vs a linear bound.

Usage: OMP_THREAD_LIMIT=1 .venv/bin/python bench/learned_ceiling.py \
           [--model NAME=DIR ...] [--cache build/train_cache] [--crops 12]

On 256 px crops of the training cache (this measures what the transforms can fit, not how they
generalise) it scores, per net and quality level, the reconstruction g_s(g_a(x)) with the
latents unrounded ("no quantisation": the ceiling no rate can pass) and rounded (the trained
operating point without entropy coding). For scale: PCA of 16x16x3 blocks keeping k
components (fitted on the other crops' blocks) is what a linear transform with k latents per
16x16 block reaches at unlimited rate; the nets have m latents per block.
Writes bench/results/learned_ceiling.md.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from picd_desktop.models.base_net import GROWABLE, Y_CLAMP  # noqa: E402
from picd_desktop.models.weights import load_net, model_dir  # noqa: E402

ROOT = Path(__file__).resolve().parent
CROP = 256


def crops(cache: Path, n: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """(n images, n condition planes, all other images) from the cache; crops are 256 px."""
    entries = json.loads((cache / "manifest.json").read_text())
    pick = set(np.linspace(0, len(entries) - 1, n).round().astype(int).tolist())
    rng = np.random.default_rng(seed)
    xs, cs, rest = [], [], []
    for i, e in enumerate(entries):
        a = np.asarray(Image.open(cache / f"{e['name']}.png").convert("RGB"))
        if i not in pick:
            rest.append(a)
            continue
        c = np.load(cache / f"{e['name']}.cond.npy")
        y0 = int(rng.integers(0, max(1, a.shape[0] - CROP + 1)))
        x0 = int(rng.integers(0, max(1, a.shape[1] - CROP + 1)))
        xs.append(a[y0:y0 + CROP, x0:x0 + CROP])
        cs.append(c[y0:y0 + CROP, x0:x0 + CROP])
    return np.stack(xs), np.stack(cs), rest


def blocks(a: np.ndarray, b: int = 16) -> np.ndarray:
    """(N, b*b*3) blocks of an HxWx3 uint8 image, in [0, 1]."""
    h, w = a.shape[0] // b * b, a.shape[1] // b * b
    a = a[:h, :w].astype(np.float64) / 255
    return a.reshape(h // b, b, w // b, b, 3).transpose(0, 2, 1, 3, 4).reshape(-1, b * b * 3)


def psnr(mse: float) -> float:
    return float(10 * np.log10(1 / max(mse, 1e-12)))


def pca_bounds(train: list[np.ndarray], test: np.ndarray, ks: list[int]) -> dict[int, float]:
    """PSNR of the k-component PCA reconstruction of `test`'s blocks (fitted on `train`)."""
    fit = np.concatenate([blocks(a) for a in train])
    fit = fit[np.random.default_rng(0).permutation(len(fit))[:60000]]
    mean = fit.mean(0)
    _, _, vt = np.linalg.svd(fit - mean, full_matrices=False)
    te = np.concatenate([blocks(a) for a in test]) - mean
    return {k: psnr(float(((te @ vt[:k].T @ vt[:k] - te) ** 2).mean())) for k in ks}


def reconstruct(net, x01: torch.Tensor, cond: torch.Tensor | None, level: int,
                rounded: bool = False) -> torch.Tensor:
    """g_s(g_a(x)) at a quality level, latents unrounded (or rounded): no entropy coding."""
    feats = net.features(cond if net.cfg.cond else None)
    y = net.analysis(x01, feats) * (net.gain.abs() + 1e-3)[level][None, :, None, None]
    if rounded:
        y = torch.round(y)
    inv = net.inv_gain.abs()[level][None, :, None, None]
    return net.synthesis((y * inv).clamp(-Y_CLAMP, Y_CLAMP), feats)


@torch.no_grad()
def net_ceiling(net, x: torch.Tensor, cond: torch.Tensor, level: int) -> tuple[float, float]:
    """(PSNR with unrounded latents, PSNR with rounded latents) at a quality level."""
    out = []
    for rounded in (False, True):
        x_hat = reconstruct(net, x / 256, cond, level, rounded).clamp(0, 1)
        out.append(psnr(float(((x_hat - x / 255) ** 2).mean())))
    return out[0], out[1]


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--model", nargs="*", default=[], metavar="NAME=DIR")
    p.add_argument("--cache", default="build/train_cache")
    p.add_argument("--crops", type=int, default=12)
    p.add_argument("--levels", type=int, nargs="+", default=[0, 3, 7])
    p.add_argument("--out", default=str(ROOT / "results" / "learned_ceiling.md"))
    args = p.parse_args()
    os.environ["OMP_THREAD_LIMIT"] = "1"
    torch.set_num_threads(1)
    xs, cs, rest = crops(Path(args.cache), args.crops)
    x = torch.from_numpy(xs).permute(0, 3, 1, 2).float()
    cond = torch.from_numpy(cs).permute(0, 3, 1, 2).float() / 256
    specs = [(n, str(model_dir(n))) for n in ("learned-hp-v1", "learned-hp-v2")] + [
        tuple(s.split("=", 1)) for s in args.model]
    lines = ["# Learned codec: transform ceiling at unlimited rate", "",
             "Command: `OMP_THREAD_LIMIT=1 .venv/bin/python bench/learned_ceiling.py "
             + " ".join(sys.argv[1:]) + "`", "",
             f"{len(xs)} crops of {CROP} px from `{args.cache}` (training data: this measures "
             "capacity, not generalisation). PSNR in dB.", "",
             "| net | steps | m | extra blocks | level | no quantisation | rounded latents |",
             "|---|---|---|---|---|---|---|"]
    for name, directory in specs:
        net, card = load_net(name, Path(directory))
        net.eval()
        grown = {k: v for k, v in card["config"].items() if k in GROWABLE and v}
        for level in args.levels:
            free, rounded = net_ceiling(net, x, cond, level)
            lines.append(f"| {name} | {card['steps']} | {net.cfg.m} | {grown or '-'} | "
                         f"{level + 1} | {free:.2f} | {rounded:.2f} |")
        print(lines[-1], flush=True)
    bounds = pca_bounds(rest, xs, [32, 64, 96, 128, 192])
    lines += ["", "Linear bound (PCA of 16x16x3 blocks, k components per block, no quantisation):",
              "", "| k | PSNR dB |", "|---|---|"]
    lines += [f"| {k} | {v:.2f} |" for k, v in bounds.items()]
    Path(args.out).write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Do the fixed-point grids slow the learned codec's transforms? Distortion-only fine-tunes.

Usage: OMP_THREAD_LIMIT=1 .venv/bin/python bench/learned_grid_probe.py run VARIANT OUT.json \
           [--minutes 12] [--cache build/train_cache]
       .venv/bin/python bench/learned_grid_probe.py report A.json B.json ...

`run` starts from the shipped `learned-hp-v2` and trains g_a and g_s alone for MINUTES on one
thread at the top quality level with free bits (latents unrounded: the ceiling of
bench/learned_ceiling.py), loss = MSE. VARIANT `grid` keeps every fixed-point grid (weights on
2**-8, activations on 2**-6, straight-through), `float` drops the grids (plain float convs, same
clamps), so the two differ only in what this probe asks about. Both score the same 12 crops as
learned_ceiling.py (with its `reconstruct`) every 100 steps. `report` writes
bench/results/learned_grid_probe.md.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.learned_ceiling import crops, reconstruct  # noqa: E402
from picd_desktop.models import base_net  # noqa: E402
from picd_desktop.models.base_net import LEVELS  # noqa: E402
from picd_desktop.models.weights import load_net  # noqa: E402

ROOT = Path(__file__).resolve().parent
TOP = LEVELS - 1
CROP = 256


def _identity(x: torch.Tensor) -> torch.Tensor:
    return x


def _unrounded(x: torch.Tensor) -> torch.Tensor:
    """Stand-in for ste_floor, which base_net only calls as floor(v + 1/2): gives v."""
    return x - 0.5


def run(variant: str, out: Path, minutes: float, cache: Path, lr: float) -> None:
    torch.set_num_threads(1)
    torch.manual_seed(0)
    if variant == "float":  # every straight-through round / floor becomes exact arithmetic
        base_net.ste_round = _identity
        base_net.ste_floor = _unrounded
    net, card = load_net("learned-hp-v2")
    net.train()
    xs, cs, _ = crops(cache, 12)
    vx = torch.from_numpy(xs).permute(0, 3, 1, 2).float() / 255
    vc = torch.from_numpy(cs).permute(0, 3, 1, 2).float() / 256
    entries = json.loads((cache / "manifest.json").read_text())
    images = [(np.asarray(Image.open(cache / f"{e['name']}.png").convert("RGB")),
               np.load(cache / f"{e['name']}.cond.npy")) for e in entries]
    images = [(a, c) for a, c in images if min(a.shape[:2]) >= CROP]
    rng = np.random.default_rng(0)
    params = [p for n, p in net.named_parameters()
              if not n.startswith(("h_", "entropy_bottleneck", "gaussian_conditional"))]
    opt = torch.optim.Adam(params, lr=lr)

    @torch.no_grad()
    def score() -> float:
        net.eval()
        x_hat = reconstruct(net, vx, vc, TOP).clamp(0, 1)
        net.train()
        return 10 * math.log10(1 / float(((x_hat - vx) ** 2).mean()))

    curve = [(0, 0.0, score())]
    print(variant, curve[-1], flush=True)
    t0, step = time.time(), 0
    while time.time() - t0 < minutes * 60:
        bx, bc = [], []
        for _ in range(8):
            a, c = images[int(rng.integers(len(images)))]
            y0 = int(rng.integers(0, a.shape[0] - CROP + 1))
            x0 = int(rng.integers(0, a.shape[1] - CROP + 1))
            bx.append(a[y0:y0 + CROP, x0:x0 + CROP])
            bc.append(c[y0:y0 + CROP, x0:x0 + CROP])
        x = torch.from_numpy(np.stack(bx)).permute(0, 3, 1, 2).float() / 255
        cond = torch.from_numpy(np.stack(bc)).permute(0, 3, 1, 2).float() / 256
        loss = ((reconstruct(net, x, cond, TOP) - x) ** 2).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        step += 1
        if step % 100 == 0:
            curve.append((step, (time.time() - t0) / 60, score()))
            print(variant, curve[-1], flush=True)
    curve.append((step, (time.time() - t0) / 60, score()))
    out.write_text(json.dumps({"variant": variant, "lr": lr, "start": card["sha256"][:16],
                               "curve": curve}) + "\n")


def report(paths: list[Path], out: Path) -> None:
    runs = [json.loads(p.read_text()) for p in paths]
    lines = ["# Learned codec: do the fixed-point grids slow training?", "",
             "Command: `OMP_THREAD_LIMIT=1 .venv/bin/python bench/learned_grid_probe.py run "
             "VARIANT ...` per variant (one thread each, side by side on the 2-core machine), "
             f"then `report`. Start: learned-hp-v2 (weights {runs[0]['start']}...). Distortion "
             "only, top quality level, latents unrounded; g_a and g_s trained, Adam lr "
             f"{runs[0]['lr']:g}, batch 8 crops of 256 px from `build/train_cache`. PSNR (dB) "
             "on the 12 crops of learned_ceiling.py.", "",
             "| variant | steps | minutes | PSNR at start | PSNR at end | gain |",
             "|---|---|---|---|---|---|"]
    for r in runs:
        s, e = r["curve"][0], r["curve"][-1]
        lines.append(f"| {r['variant']} | {e[0]} | {e[1]:.1f} | {s[2]:.2f} | {e[2]:.2f} | "
                     f"{e[2] - s[2]:+.2f} |")
    lines += ["", "Curves (step: PSNR):", ""]
    for r in runs:
        lines.append(f"- {r['variant']}: " + ", ".join(f"{c[0]}: {c[2]:.2f}"
                                                      for c in r["curve"][::2]))
    out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("variant", choices=["grid", "float"])
    r.add_argument("out", type=Path)
    r.add_argument("--minutes", type=float, default=12.0)
    r.add_argument("--cache", type=Path, default=Path("build/train_cache"))
    r.add_argument("--lr", type=float, default=3e-4)
    p = sub.add_parser("report")
    p.add_argument("runs", type=Path, nargs="+")
    p.add_argument("--out", type=Path, default=ROOT / "results" / "learned_grid_probe.md")
    args = ap.parse_args()
    if args.cmd == "run":
        run(args.variant, args.out, args.minutes, args.cache, args.lr)
    else:
        report(args.runs, args.out)


if __name__ == "__main__":
    main()

"""Choose a learned model's quality table (quality 1..8 -> [downscale f, net quality]) on the
val screens: every (f, net quality) of a grid is coded, and the eight rows are taken from the
upper convex hull of mean (bpp, PSNR), spread evenly in log-rate.

Usage: OMP_THREAD_LIMIT=1 .venv/bin/python bench/learned_quality_table.py --model DIR
       [--factors 1 2 3 4] [--net-qualities 1 2 3 4 5 6 7 8] [--roi] [--write-card]
       [--out bench/results/learned_quality_table.md]

Screens as in learned_vs_classic.py (`cleaned`, the layer as condition; split `val` only: the
table is tuned there and measured on `test` by learned_vs_classic.py). The classic codec's
curve is printed beside it for reference. With --write-card the table goes into DIR's card
(the encoder reads it; decoding needs nothing from it).
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench import metrics  # noqa: E402
from bench.learned_vs_classic import load  # noqa: E402
from picd_desktop.base.classic import ClassicCodec  # noqa: E402
from picd_desktop.base.learned import LearnedCodec  # noqa: E402
from picd_desktop.models.weights import CARD_FILE  # noqa: E402
from picd_desktop.text.fit import build_layer  # noqa: E402
from picd_desktop.text.ocr import run_ocr  # noqa: E402

ROOT = Path(__file__).resolve().parent
ROWS = 8


def hull(points: list[tuple[float, float, tuple]]) -> list[tuple[float, float, tuple]]:
    """Upper convex hull of (rate, psnr, key) points, by rate, rising: the operating points an
    encoder would mix between (a point under the chord of two others is never worth it)."""
    pts = sorted(points)
    front = []
    for p in pts:  # non-dominated first
        if not front or p[1] > front[-1][1]:
            front.append(p)
    out: list[tuple[float, float, tuple]] = []
    for p in front:
        while len(out) >= 2:
            (r1, s1, _), (r2, s2, _) = out[-2], out[-1]
            if (s2 - s1) * (p[0] - r1) <= (p[1] - s1) * (r2 - r1):  # out[-1] under the chord
                out.pop()
            else:
                break
        out.append(p)
    return out


def pick_rows(points: list[tuple[float, float, tuple]], n: int = ROWS) -> list[list[float]]:
    """n rows [f, net quality] from hull points, nearest to n rates spread evenly in log-rate
    between the hull's ends (a hull with fewer points repeats rows: equal qualities)."""
    rates = np.log([p[0] for p in points])
    targets = np.linspace(rates[0], rates[-1], n)
    rows = []
    for t in targets:
        i = int(np.argmin(np.abs(rates - t)))
        rows.append(list(points[i][2]))
    return rows


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--model", required=True)
    p.add_argument("--factors", type=int, nargs="+", default=[1, 2, 3, 4])
    p.add_argument("--net-qualities", type=float, nargs="+", default=[1, 2, 3, 4, 5, 6, 7, 8])
    p.add_argument("--max-bpp", type=float, default=0.3, help="drop hull points above this")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--roi", action="store_true",
                   help="code the words the layer does not draw as the pipeline does (ink "
                        "masks / crops, their bits counted), not as plain pixels")
    p.add_argument("--write-card", action="store_true")
    p.add_argument("--out", default=str(ROOT / "results" / "learned_quality_table.md"))
    args = p.parse_args()
    os.environ["OMP_THREAD_LIMIT"] = "1"
    torch.set_num_threads(args.threads)
    model = Path(args.model)
    grid = [(f, q) for f in args.factors for q in args.net_qualities]
    first = LearnedCodec(model.name, directory=model)
    first.net  # noqa: B018  (loaded once here; the shallow copies below share it)
    codecs = {}
    for f, q in grid:  # one codec per grid cell, all on one net: "always (f, q)"
        c = copy.copy(first)
        c.card = dict(first.card, quality_table=[[f, q]] * ROWS)
        codecs[(f, q)] = c
    classic = ClassicCodec()
    res: dict[tuple, list[tuple[float, float]]] = {}
    t0 = time.time()
    images = [x for x in load("val", None) if x[0] == "screens"]
    for _kind, name, img in images:
        layer, img, roi = build_layer(img, run_ocr(img))
        img = img.convert("RGB")
        roi = list(roi) if args.roi else None
        for key, codec in [*codecs.items(), *((("classic", q), classic) for q in range(1, 9))]:
            q = key[1] if key[0] == "classic" else 1
            data = codec.encode(img, q, roi=roi, layer=layer)
            out = (classic if key[0] == "classic" else codec).decode(data, img.size, layer)
            res.setdefault(key, []).append((metrics.bpp(len(data), *img.size),
                                            metrics.psnr(img, out)))
        print(name, f"{time.time() - t0:.0f}s", flush=True)
    mean = {k: tuple(np.mean(v, axis=0)) for k, v in res.items()}
    pts = [(b, s, k) for k, (b, s) in mean.items() if k[0] != "classic" and b <= args.max_bpp]
    h = hull(pts)
    rows = pick_rows(h)
    lines = ["# Learned quality table (val screens)", "",
             f"Command: `OMP_THREAD_LIMIT=1 .venv/bin/python bench/learned_quality_table.py "
             f"{' '.join(sys.argv[1:])}`", "",
             f"Model `{model.name}`; {len(images)} val screens, `cleaned` with the layer as "
             "condition" + ("; the words the layer does not draw coded as ROI (ink masks or "
                            "crops), as the encoder does" if args.roi else "")
             + "; mean bpp and PSNR per (downscale f, net quality); x86_64 2-core CPU.",
             "", "| f | net quality | bpp | PSNR dB | on hull |", "|---|---|---|---|---|"]
    hk = {x[2] for x in h}
    for k in grid:
        b, s = mean[k]
        lines.append(f"| {k[0]} | {k[1]:g} | {b:.4f} | {s:.2f} | {'yes' if k in hk else ''} |")
    lines += ["", "Classic for reference:", "", "| quality | bpp | PSNR dB |", "|---|---|---|"]
    lines += [f"| {q} | {mean[('classic', q)][0]:.4f} | {mean[('classic', q)][1]:.2f} |"
              for q in range(1, 9)]
    lines += ["", f"Chosen table (quality 1..8 -> [f, net quality]): `{json.dumps(rows)}`", ""]
    Path(args.out).write_text("\n".join(lines))
    print("\n".join(lines))
    if args.write_card:
        card_path = model / CARD_FILE
        card = json.loads(card_path.read_text())
        card["quality_table"] = rows
        card["quality_table_from"] = "bench/learned_quality_table.py (val screens)"
        card_path.write_text(json.dumps(card, indent=1, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Base layer alone: the learned codec (with and without the glyph condition) vs the classic codec.

Usage: OMP_THREAD_LIMIT=1 .venv/bin/python bench/learned_vs_classic.py --split test
       [--nocond build/train/learned-hp-nocond] [--qualities 1 2 3 4 5 6 7 8] [--limit N]
       [--model DIR] [--extra NAME=DIR ...]   # other conditioned nets (e.g. grown variants)

Screens go through real OCR + text.fit.build_layer; each codec codes `cleaned` (text removed,
no ROI crops: those are the same AVIF crops for both) with the layer as condition and is
scored against `cleaned`. Photos are coded as they are (no layer). Mean bpp / PSNR / MS-SSIM per
codec and quality, BD-rate (PSNR, Bjontegaard, cubic fit of log-rate on the mean curves over the
overlapping PSNR range; and piecewise-linear over the non-dominated points, which also works
on the 2-3 points a curve may have under 0.15 bpp) against the classic codec, and 1920x1080
encode / decode seconds.
Writes bench/results/learned.md and learned.csv.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench import metrics  # noqa: E402
from picd_desktop.base.classic import ClassicCodec  # noqa: E402
from picd_desktop.base.learned import LearnedCodec  # noqa: E402
from picd_desktop.models.base_net import GROWABLE  # noqa: E402
from picd_desktop.text.fit import build_layer  # noqa: E402
from picd_desktop.text.ocr import run_ocr  # noqa: E402

ROOT = Path(__file__).resolve().parent


def bd_rate(r_ref, p_ref, r_new, p_new) -> float:
    """Bjontegaard delta rate (%) of new vs ref over the common PSNR range; nan if none."""
    lr, ln = np.log(np.asarray(r_ref)), np.log(np.asarray(r_new))
    p_ref, p_new = np.asarray(p_ref), np.asarray(p_new)
    lo, hi = max(p_ref.min(), p_new.min()), min(p_ref.max(), p_new.max())
    if hi <= lo or len(p_ref) < 4 or len(p_new) < 4:
        return float("nan")
    fr = np.polyint(np.polyfit(p_ref, lr, 3))
    fn = np.polyint(np.polyfit(p_new, ln, 3))
    avg = ((np.polyval(fn, hi) - np.polyval(fn, lo)) - (np.polyval(fr, hi) - np.polyval(fr, lo)))
    return float((np.exp(avg / (hi - lo)) - 1) * 100)


def frontier(rates, psnrs) -> tuple[np.ndarray, np.ndarray]:
    """The non-dominated points (no other point has fewer bits and at least the PSNR), sorted
    by rate: an encoder would never pick a dominated quality."""
    pts = sorted(zip(rates, psnrs, strict=True))
    keep: list[tuple[float, float]] = []
    for r, p in pts:
        if not keep or p > keep[-1][1]:
            keep.append((r, p))
    return np.array([k[0] for k in keep]), np.array([k[1] for k in keep])


def bd_rate_linear(r_ref, p_ref, r_new, p_new, samples: int = 200) -> float:
    """Bjontegaard delta rate (%) with piecewise-linear log-rate over PSNR (non-dominated
    points; works from 2 points per curve, where the cubic fit needs 4); nan without a common
    PSNR range."""
    rr, pr = frontier(r_ref, p_ref)
    rn, pn = frontier(r_new, p_new)
    lo, hi = max(pr.min(), pn.min()), min(pr.max(), pn.max())
    if hi <= lo or len(pr) < 2 or len(pn) < 2:
        return float("nan")
    grid = np.linspace(lo, hi, samples)
    diff = np.interp(grid, pn, np.log(rn)) - np.interp(grid, pr, np.log(rr))
    return float((np.exp(np.trapezoid(diff, grid) / (hi - lo)) - 1) * 100)


def load(split: str, limit: int | None) -> list[tuple[str, str, Image.Image]]:
    man = json.loads((ROOT / "set_manifest.json").read_text())
    out = []
    for e in man["images"]:
        if e["split"] != split:
            continue
        kind = "photos" if e["kind"] == "photo" else "screens"
        out.append((kind, e["file"], Image.open(ROOT / "data" / e["file"]).convert("RGB")))
    if limit:
        out = [x for x in out if x[0] == "screens"][:limit] + [
            x for x in out if x[0] == "photos"][:max(1, limit // 3)]
    return out


def measure(codec, name: str, img: Image.Image, layer, q: float) -> dict:
    t0 = time.perf_counter()
    data = codec.encode(img, q, layer=layer)
    t1 = time.perf_counter()
    out = codec.decode(data, img.size, layer)
    t2 = time.perf_counter()
    return {"codec": name, "quality": q, "bpp": metrics.bpp(len(data), *img.size),
            "psnr": metrics.psnr(img, out), "ms_ssim": metrics.ms_ssim(img, out),
            "enc_s": t1 - t0, "dec_s": t2 - t1, "w": img.width, "h": img.height}


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--split", default="test")
    p.add_argument("--qualities", type=float, nargs="+", default=[1, 2, 3, 4, 5, 6, 7, 8])
    p.add_argument("--nocond", default="build/train/learned-hp-nocond")
    p.add_argument("--limit", type=int, default=None)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--out", default=str(ROOT / "results" / "learned.md"))
    p.add_argument("--model", default=None, help="the `learned` net's directory (default: shipped)")
    p.add_argument("--note", default="", help="a sentence for the header (how the nets differ)")
    p.add_argument("--extra", nargs="*", default=[], metavar="NAME=DIR",
                   help="more conditioned nets to score beside it")
    args = p.parse_args()
    args.argv = sys.argv[1:]
    os.environ["OMP_THREAD_LIMIT"] = "1"
    torch.set_num_threads(args.threads)
    learned = LearnedCodec() if args.model is None else LearnedCodec(
        Path(args.model).name, directory=Path(args.model))
    codecs = {"classic": ClassicCodec(), "learned": learned}
    for spec in args.extra:
        name, _, directory = spec.partition("=")
        codecs[name] = LearnedCodec(name, directory=Path(directory))
    if args.nocond and Path(args.nocond).is_dir():
        codecs["learned-nocond"] = LearnedCodec("learned-hp-nocond", directory=Path(args.nocond))
    rows = []
    for kind, name, img in load(args.split, args.limit):
        layer = None
        if kind == "screens":
            layer, img, _roi = build_layer(img, run_ocr(img))
            img = img.convert("RGB")
        for cname, codec in codecs.items():
            lay = None if cname == "learned-nocond" else layer
            for q in args.qualities:
                r = measure(codec, cname, img, lay, q)
                rows.append({"kind": kind, "image": name, **r})
        print(name, flush=True)
    write(rows, args, codecs)
    return 0


def _mean(rows: list[dict], key: str) -> float:
    vals = [r[key] for r in rows if np.isfinite(r[key])]
    return float(np.mean(vals)) if vals else float("nan")


def _ms_db(c: dict) -> float:
    """MS-SSIM as dB, -10 log10(1 - MS-SSIM): the scale BD-rate needs (rising, unbounded)."""
    return float(-10 * np.log10(max(1 - c["ms_ssim"], 1e-10)))


def _common_range(pr: list[dict], pn: list[dict], key: str, unit: str) -> str:
    """' (over a .. b unit)': the quality range both curves span, where a BD-rate is taken."""
    if not pr or not pn:
        return ""
    lo = max(min(c[key] for c in pr), min(c[key] for c in pn))
    hi = min(max(c[key] for c in pr), max(c[key] for c in pn))
    return f" (over {lo:.2f} .. {hi:.2f}{unit})" if hi > lo else ""


def write(rows: list[dict], args, codecs: dict) -> None:
    out = Path(args.out)
    with out.with_suffix(".csv").open("w", newline="") as f:
        wr = csv.DictWriter(f, fieldnames=list(rows[0]))
        wr.writeheader()
        wr.writerows(rows)
    card = codecs["learned"].card
    lines = [
        "# Learned base codec vs the classic base codec (base layer alone)", "",
        "Command: `OMP_THREAD_LIMIT=1 .venv/bin/python bench/learned_vs_classic.py "
        + " ".join(args.argv) + "`", "",
        f"Model `{card['id']}` sha256 `{card['sha256'][:16]}...`: {card['steps']} steps, "
        f"{card['train_minutes']} min on {card['hardware']} (batch {card['batch']}, "
        f"{card['crop']} px crops, {card['data']['images']} training images). "
        f"Torch threads for the benchmark: {args.threads}; machine shared, timings noisy.", "",
        "Screens: `cleaned` from real OCR + build_layer (text removed), layer as condition "
        "(classic: for its ink-mask context only; no ROI here). Photos: as they are, no layer."
        + (" `learned-nocond`: the same net trained the same time without the glyph condition."
           if "learned-nocond" in codecs else ""), "",
    ] + ([args.note, ""] if args.note else [])
    for cname, codec in codecs.items():
        if cname not in ("classic", "learned"):
            c = codec.card
            grown = {k: v for k, v in c["config"].items() if k in GROWABLE}
            lines += [f"`{cname}` sha256 `{c['sha256'][:16]}...`: {c['steps']} steps, "
                      f"{c['train_minutes']} min, extra blocks {grown or 'none'}.", ""]
    for kind in ("screens", "photos"):
        kr = [r for r in rows if r["kind"] == kind]
        if not kr:
            continue
        n = len({r["image"] for r in kr})
        lines += [f"## {kind} ({n} images)", "",
                  "| codec | quality | bpp | PSNR dB | MS-SSIM | enc s | dec s |",
                  "|---|---|---|---|---|---|---|"]
        curves = {}
        for cname in codecs:
            cur = []
            for q in args.qualities:
                sel = [r for r in kr if r["codec"] == cname and r["quality"] == q]
                m = {k: _mean(sel, k) for k in ("bpp", "psnr", "ms_ssim", "enc_s", "dec_s")}
                cur.append(m)
                lines.append(f"| {cname} | {q:g} | {m['bpp']:.4f} | {m['psnr']:.2f} | "
                             f"{m['ms_ssim']:.4f} | {m['enc_s']:.3f} | {m['dec_s']:.3f} |")
            curves[cname] = cur
        lines += ["", "BD-rate (PSNR, mean curves; negative = fewer bits for the same PSNR):", ""]
        ref = curves["classic"]
        for cname, cur in curves.items():
            if cname == "classic":
                continue
            for cap in (None, 0.15):
                pr = [c for c in ref if cap is None or c["bpp"] <= cap]
                pn = [c for c in cur if cap is None or c["bpp"] <= cap]
                bd = bd_rate([c["bpp"] for c in pr], [c["psnr"] for c in pr],
                             [c["bpp"] for c in pn], [c["psnr"] for c in pn])
                lab = "all rates" if cap is None else f"points <= {cap} bpp"
                val = ("n/a (under 4 points or no common PSNR range)" if np.isnan(bd)
                       else f"{bd:+.1f} %")
                lines.append(f"- {cname} vs classic, {lab}: {val}")
                lin = bd_rate_linear([c["bpp"] for c in pr], [c["psnr"] for c in pr],
                                     [c["bpp"] for c in pn], [c["psnr"] for c in pn])
                val = "n/a (no common PSNR range)" if np.isnan(lin) else f"{lin:+.1f} %"
                lines.append(f"- {cname} vs classic, {lab}, piecewise-linear: {val}"
                             + _common_range(pr, pn, "psnr", " dB"))
                ms = bd_rate_linear([c["bpp"] for c in pr], [_ms_db(c) for c in pr],
                                    [c["bpp"] for c in pn], [_ms_db(c) for c in pn])
                val = "n/a (no common range)" if np.isnan(ms) else f"{ms:+.1f} %"
                lines.append(f"- {cname} vs classic, {lab}, MS-SSIM (as dB), piecewise-linear: "
                             f"{val}")
        # the candidate against every other learned net (e.g. learned-nocond: the condition)
        for cname, cur in curves.items():
            if cname in ("classic", "learned"):
                continue
            pairs = ([x["bpp"] for x in cur], [x["psnr"] for x in cur],
                     [x["bpp"] for x in curves["learned"]], [x["psnr"] for x in curves["learned"]])
            bd, lin = bd_rate(*pairs), bd_rate_linear(*pairs)
            lines.append(f"- learned vs {cname}, all rates: "
                         + ("n/a" if np.isnan(bd) else f"{bd:+.1f} %") + " (cubic), "
                         + ("n/a" if np.isnan(lin) else f"{lin:+.1f} %") + " (piecewise-linear)")
        lines.append("")
    big = [r for r in rows if (r["w"], r["h"]) == (1920, 1080)]
    if big:
        lines += ["## 1920x1080 seconds (mean over those images and qualities)", "",
                  "| codec | enc s | dec s | enc+dec s |", "|---|---|---|---|"]
        for cname in codecs:
            sel = [r for r in big if r["codec"] == cname]
            e, d = _mean(sel, "enc_s"), _mean(sel, "dec_s")
            lines.append(f"| {cname} | {e:.3f} | {d:.3f} | {e + d:.3f} |")
        lines.append("")
    out.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    raise SystemExit(main())

"""Plot rate vs text accuracy / PSNR / MS-SSIM for PICD and the classic codecs.

    .venv/bin/python bench/plot_rd.py [--classic bench/results/classic.csv]
                                      [--picd bench/results/picd.csv] [--out bench/results/rd]

Reads the CSVs written by bench/classic_baselines.py and bench/picd_bench.py (test split) and
writes OUT_screens.png and OUT_photos.png: one curve per codec, means per setting.
"""

from __future__ import annotations

import argparse
import csv
import math
from collections import defaultdict
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

ROOT = Path(__file__).resolve().parent
LOSSY = {"avif", "avif-444", "jxl", "webp"}
LOSSLESS = {"png", "webp-lossless", "jxl-lossless"}


def _float(value: str) -> float:
    try:
        return float(value)
    except ValueError:
        return math.nan


def _mean(values: list[float]) -> float:
    good = [v for v in values if math.isfinite(v)]
    return sum(good) / len(good) if good else math.nan


def load(path: Path, codec_key: str | None, setting_key: str) -> dict:
    """{(set, codec): [(bpp, psnr, ms_ssim, text_acc) per setting]} of means over images."""
    groups: dict[tuple[str, str, str], list[dict]] = defaultdict(list)
    with path.open() as fp:
        for row in csv.DictReader(fp):
            if row.get("split", "test") != "test":
                continue
            group = "photos" if row["kind"] == "photo" else "screens"
            codec = row[codec_key] if codec_key else "PICD (composite)"
            groups[(group, codec, row[setting_key])].append(row)
    curves: dict[tuple[str, str], list[tuple[float, ...]]] = defaultdict(list)
    for (group, codec, _setting), rows in groups.items():
        point = tuple(_mean([_float(r[k]) for r in rows])
                      for k in ("bpp", "psnr", "ms_ssim", "text_acc"))
        curves[(group, codec)].append(point)
    return {key: sorted(points) for key, points in curves.items()}


def plot(curves: dict, group: str, out: Path) -> None:
    metrics = [("text_acc", 3, "text accuracy"), ("psnr", 1, "PSNR (dB)"),
               ("ms_ssim", 2, "MS-SSIM")]
    if group == "photos":
        metrics = metrics[1:]
    fig, axes = plt.subplots(1, len(metrics), figsize=(5.5 * len(metrics), 4.2))
    for ax, (_name, index, label) in zip(axes, metrics, strict=True):
        for (g, codec), points in sorted(curves.items()):
            if g != group:
                continue
            xs = [p[0] for p in points]
            ys = [p[index] for p in points]
            style = "o" if codec in LOSSLESS else "-o"
            width = 2.5 if codec.startswith("PICD") else 1.2
            ax.plot(xs, ys, style, label=codec, linewidth=width, markersize=4)
        ax.set_xscale("log")
        ax.set_xlabel("bits per pixel (log)")
        ax.set_ylabel(label)
        ax.grid(True, which="both", alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.suptitle(f"{group}: PICD vs classic codecs (test split, means per setting)")
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--classic", type=Path, default=ROOT / "results" / "classic.csv")
    parser.add_argument("--picd", type=Path, default=ROOT / "results" / "picd.csv")
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "rd")
    args = parser.parse_args()
    curves = load(args.classic, "codec", "setting")
    curves.update(load(args.picd, None, "quality"))
    for group in ("screens", "photos"):
        out = args.out.parent / f"{args.out.name}_{group}.png"
        plot(curves, group, out)
        print(f"wrote {out}")


if __name__ == "__main__":
    main()

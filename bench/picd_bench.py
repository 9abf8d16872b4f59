"""Benchmark PICD (composite renderer) on the project's set: size, quality, text, speed.

    .venv/bin/python bench/picd_bench.py --qualities 1 2 3 4 6 --split test [--base ID]

Writes bench/results/picd.csv and bench/results/picd.md (the command at the top).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import platform
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_THREAD_LIMIT", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pytesseract  # noqa: E402
from PIL import Image  # noqa: E402

from bench import metrics  # noqa: E402
from picd_desktop import api  # noqa: E402
from picd_desktop.text.ocr_types import OcrBlock, OcrLine, OcrPage, OcrWord  # noqa: E402
from picd_desktop.verify import compare, verify_image  # noqa: E402

ROOT = Path(__file__).resolve().parent
FIELDS = ["image", "kind", "split", "quality", "bytes", "bpp", "text_bpp", "psnr", "ms_ssim",
          "text_acc", "char_acc", "drawn", "drawn_ok_plain", "drawn_ok_picd", "words",
          "enc_s", "dec_s", "peak_mb"]


def plain_ocr_page(image: Image.Image) -> OcrPage:
    """Plain 1x Tesseract words with boxes (the benchmark's reader), as an OcrPage."""
    data = pytesseract.image_to_data(image, lang="eng", output_type=pytesseract.Output.DICT)
    words = []
    for text, conf, x, y, w, h in zip(data["text"], data["conf"], data["left"], data["top"],
                                      data["width"], data["height"], strict=True):
        if text.strip():
            words.append(OcrWord(text.strip(), (x, y, x + w, y + h), float(conf)))
    line = OcrLine(tuple(words), (0, 0, image.width, image.height), 0, 0.0, (0, 0, 0),
                   (255, 255, 255), 0.0, False)
    return OcrPage(image.width, image.height, "eng", (OcrBlock((line,)),) if words else ())


def run_one(path: Path, entry: dict, quality: int, base: str | None = None) -> dict:
    original = Image.open(path).convert("RGB")
    with metrics.peak_memory() as peak:
        t0 = time.perf_counter()
        data = api.encode(path, quality=quality, base=base)
        t1 = time.perf_counter()
        recon = api.decode(data)
        t2 = time.perf_counter()
    layer = api.read_text(data)
    info = api.info(data)
    plain = compare(layer, plain_ocr_page(recon))
    ours = verify_image(recon, layer)
    w, h = original.size
    return {
        "image": path.name, "kind": entry.get("kind", ""), "split": entry.get("split", ""),
        "quality": quality, "bytes": len(data), "bpp": metrics.bpp(len(data), w, h),
        "text_bpp": metrics.bpp(info.text_bytes, w, h),
        "psnr": metrics.psnr(original, recon), "ms_ssim": metrics.ms_ssim(original, recon),
        "text_acc": metrics.text_accuracy(original, recon),
        "char_acc": metrics.char_accuracy(original, recon),
        "drawn": plain.drawn_total, "drawn_ok_plain": plain.drawn_verified,
        "drawn_ok_picd": ours.drawn_verified, "words": layer.word_count,
        "enc_s": t1 - t0, "dec_s": t2 - t1, "peak_mb": peak.mb,
    }


def load_manifest() -> dict[str, dict]:
    manifest = json.loads((ROOT / "set_manifest.json").read_text())
    items = manifest["images"] if isinstance(manifest, dict) else manifest
    return {Path(item["file"]).name: item for item in items}


def summarise(rows: list[dict]) -> list[dict]:
    """Mean per (kind group, quality); text accuracy ignores images without words."""
    import math

    groups: dict[tuple[str, int], list[dict]] = {}
    for row in rows:
        group = "photos" if row["kind"] == "photo" else "screens"
        groups.setdefault((group, row["quality"]), []).append(row)
    out = []
    for (group, quality), items in sorted(groups.items()):
        def mean(key: str, items=items) -> float:
            vals = [r[key] for r in items if not math.isnan(r[key]) and not math.isinf(r[key])]
            return sum(vals) / len(vals) if vals else float("nan")

        drawn = sum(r["drawn"] for r in items)
        out.append({
            "set": group, "quality": quality, "n": len(items), "bpp": mean("bpp"),
            "text_bpp": mean("text_bpp"), "psnr": mean("psnr"), "ms_ssim": mean("ms_ssim"),
            "text_acc": mean("text_acc"), "char_acc": mean("char_acc"),
            "drawn_ok_plain": sum(r["drawn_ok_plain"] for r in items) / drawn if drawn else 1.0,
            "drawn_ok_picd": sum(r["drawn_ok_picd"] for r in items) / drawn if drawn else 1.0,
            "enc_s": mean("enc_s"), "dec_s": mean("dec_s"), "peak_mb": max(
                r["peak_mb"] for r in items),
        })
    return out


def write_markdown(summary: list[dict], rows: list[dict], command: str, out: Path) -> None:
    cols = ["set", "quality", "n", "bpp", "text_bpp", "psnr", "ms_ssim", "text_acc",
            "char_acc", "drawn_ok_plain", "drawn_ok_picd", "enc_s", "dec_s", "peak_mb"]
    lines = [
        "# PICD (composite renderer) on the project's benchmark set", "",
        f"Command: `{command}`", "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}; "
        f"date {time.strftime('%Y-%m-%d')}.", "",
        "Means per set and quality. text_acc: fraction of the original's plain Tesseract words "
        "(conf >= 60, >= 2 chars) found in the plain OCR of the decode. drawn_ok_plain / "
        "drawn_ok_picd: of the words the decoder drew, the fraction read back exactly by plain "
        "1x Tesseract / by PICD's own OCR (`picd verify`). Seconds are wall time, peak_mb the "
        "process's peak RSS growth during encode+decode.", "",
        "| " + " | ".join(cols) + " |", "|" + "---|" * len(cols),
    ]
    for row in summary:
        lines.append("| " + " | ".join(_fmt(row[c]) for c in cols) + " |")
    worst = sorted((r for r in rows if r["kind"] != "photo"), key=lambda r: r["text_acc"])[:5]
    lines += ["", "Lowest text accuracy (screens):", ""]
    lines += [f"- {r['image']} q{r['quality']}: {r['text_acc']:.3f} at {r['bpp']:.4f} bpp"
              for r in worst]
    out.write_text("\n".join(lines) + "\n")


def _fmt(value) -> str:
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=ROOT / "data")
    parser.add_argument("--qualities", type=int, nargs="+", default=[1, 2, 3, 4, 6])
    parser.add_argument("--split", default="test", help="test, val or all")
    parser.add_argument("--kinds", default="all", help="screens, photos or all")
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "picd")
    parser.add_argument("--base", default=None, help="base codec id (default: the api's)")
    args = parser.parse_args()
    manifest = load_manifest()
    paths = sorted(args.data.glob("screens/*.png")) + sorted(args.data.glob("photos/*.png"))
    paths = [p for p in paths if args.split == "all" or manifest.get(p.name, {}).get(
        "split", "test") == args.split or "photos" in p.parts]
    if args.kinds != "all":
        paths = [p for p in paths if args.kinds in p.parts]
    if args.limit:
        paths = paths[: args.limit]
    rows = []
    for path in paths:
        for quality in args.qualities:
            row = run_one(path, manifest.get(path.name, {}), quality, args.base)
            rows.append(row)
            print(f"{path.name} q{quality}: {row['bpp']:.4f} bpp text {row['text_acc']:.3f} "
                  f"drawn {row['drawn_ok_plain']}/{row['drawn']} enc {row['enc_s']:.2f}s "
                  f"dec {row['dec_s']:.2f}s", flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.with_suffix(".csv").open("w", newline="") as fp:
        writer = csv.DictWriter(fp, FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    command = "python bench/picd_bench.py " + " ".join(sys.argv[1:])
    write_markdown(summarise(rows), rows, command, args.out.with_suffix(".md"))
    print(io.StringIO(args.out.with_suffix(".md").read_text()).getvalue())


if __name__ == "__main__":
    main()

"""Cost and readability of ROI words (undrawn words): AVIF crops vs ink masks (1 or 2 bits).

    .venv/bin/python bench/roi_cost.py --split val --quality 3

Per val screen: the PICD encoder's ROI boxes (build_layer), how many are flat (mask-coded),
the bytes of each ROI coding, mask atlas bytes per lossless coder, and plain Tesseract text
accuracy of the original with only its ROI regions replaced by their decode (so every lost
word is an ROI word). Writes bench/results/roi_cost.md (the command at the top).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_THREAD_LIMIT", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import imagecodecs  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from bench import metrics  # noqa: E402
from picd_desktop.base import classic, inkmask, roi  # noqa: E402
from picd_desktop.text.fit import build_layer  # noqa: E402
from picd_desktop.text.ocr import run_ocr  # noqa: E402

ROOT = Path(__file__).resolve().parent


def atlas_of(inks: list[inkmask.InkBox]) -> np.ndarray:
    pos, (aw, ah) = roi.pack([(m.mask.shape[1], m.mask.shape[0]) for m in inks], 1)
    atlas = np.zeros((ah, aw), np.uint8)
    for ink, (ax, ay) in zip(inks, pos, strict=True):
        atlas[ay:ay + ink.mask.shape[0], ax:ax + ink.mask.shape[1]] = ink.mask
    return atlas


def coders(atlas: np.ndarray, bits: int) -> dict[str, tuple[int, float]]:
    """Bytes and encode seconds of the atlas under each lossless coder."""
    out: dict[str, tuple[int, float]] = {}

    def timed(name: str, fn) -> None:
        t0 = time.perf_counter()
        n = len(fn())
        out[name] = (n, time.perf_counter() - t0)

    for effort in (3, 7, 9):
        timed(f"jxl-e{effort}", lambda e=effort: imagecodecs.jpegxl_encode(
            atlas, lossless=True, effort=e))
    scale = 255 // ((1 << bits) - 1)

    def webp() -> bytes:
        buf = io.BytesIO()
        Image.fromarray(atlas * scale).save(buf, "WEBP", lossless=True, quality=100, method=6)
        return buf.getvalue()

    def png() -> bytes:
        buf = io.BytesIO()
        Image.fromarray(atlas * scale).convert("L" if bits > 1 else "1").save(
            buf, "PNG", optimize=True)
        return buf.getvalue()

    timed("webp-ll", webp)
    timed("png", png)
    if bits == 1:
        def g4() -> bytes:
            buf = io.BytesIO()
            Image.fromarray(atlas * 255).convert("1").save(buf, "TIFF", compression="group4")
            return buf.getvalue()
        timed("tiff-g4", g4)
    return out


def composite(original: Image.Image, decoded: Image.Image, crops: list) -> Image.Image:
    out = original.copy()
    for box in crops:
        out.paste(decoded.crop(box), box[:2])
    return out


def run(path: Path, quality: int) -> dict:
    original = Image.open(path).convert("RGB")
    page = run_ocr(original)
    _, cleaned, boxes = build_layer(original, page)
    crops = roi.merge_boxes(boxes, original.size)
    arr = np.asarray(cleaned)
    codec = classic.ClassicCodec()
    step = classic._step(quality)
    row: dict = {"image": path.name, "size": original.size, "roi_words": len(boxes),
                 "crops": len(crops)}
    old = roi.encode_roi(cleaned, boxes, lambda t: classic.avif_encode(t, step.roi_q))
    canvas = codec.decode(codec.encode(cleaned, quality), cleaned.size)
    roi.decode_roi(old, canvas, classic.avif_decode)
    orig_words = metrics.ocr_words(original)
    row["avif_roi_B"] = len(old)
    row["acc_avif"] = metrics.text_accuracy_words(
        orig_words, metrics.ocr_words(composite(original, canvas, crops)))
    for bits in (1, 2):
        inks, rest = inkmask.split(arr, crops, bits)
        row["flat"] = len(inks)
        row["flat_words"] = sum(1 for b in boxes if any(
            i.box[0] <= b[0] and i.box[1] <= b[1] and b[2] <= i.box[2] and b[3] <= i.box[3]
            for i in inks))
        masks = inkmask.encode_masks(inks, bits) if inks else b""
        row[f"mask{bits}_B"] = len(masks)
        rest_data = roi.encode_roi(
            cleaned, rest, lambda t: classic.avif_encode(t, step.roi_q), margin=0) if rest else b""
        row["rest_avif_B"] = len(rest_data)
        if inks:
            row[f"coders{bits}"] = coders(atlas_of(inks), bits)
        base = Image.fromarray(inkmask.erase(arr, inks))
        main = codec.encode(base, quality)
        canvas_arr = np.array(codec.decode(main, base.size))
        if masks:
            inkmask.decode_masks(masks, canvas_arr)
        dec = Image.fromarray(canvas_arr)
        roi.decode_roi(rest_data, dec, classic.avif_decode)
        row[f"base{bits}_B"] = len(main) + len(masks) + len(rest_data)
        row[f"acc_mask{bits}"] = metrics.text_accuracy_words(
            orig_words, metrics.ocr_words(composite(original, dec, crops)))
    t0 = time.perf_counter()
    data = codec.encode(cleaned, quality, boxes)
    t1 = time.perf_counter()
    codec.decode(data, cleaned.size)
    row["enc_s"], row["dec_s"] = t1 - t0, time.perf_counter() - t1
    row["codec_B"] = len(data)
    t0 = time.perf_counter()
    codec.encode(cleaned, quality)
    row["enc_noroi_s"] = time.perf_counter() - t0
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--split", default="val")
    parser.add_argument("--quality", type=int, default=3)
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "roi_cost.md")
    args = parser.parse_args()
    manifest = json.loads((ROOT / "set_manifest.json").read_text())
    items = manifest["images"] if isinstance(manifest, dict) else manifest
    paths = [ROOT / "data" / i["file"] for i in items
             if i.get("split") == args.split and i.get("kind") != "photo"]
    if args.limit:
        paths = paths[: args.limit]
    rows = []
    for path in paths:
        row = run(path, args.quality)
        rows.append(row)
        print(json.dumps(row, default=str), flush=True)
    text = summary(rows, args)
    args.out.write_text(text)
    print(text)


def summary(rows: list[dict], args: argparse.Namespace) -> str:
    words = sum(r["roi_words"] for r in rows)
    flat_words = sum(r["flat_words"] for r in rows)
    lines = [f"Command: `python bench/roi_cost.py --split {args.split} --quality {args.quality}`",
             "", f"{len(rows)} screens, {words} ROI words in {sum(r['crops'] for r in rows)} "
             f"merged boxes; {flat_words} words ({flat_words / max(words, 1):.0%}) in "
             f"{sum(r['flat'] for r in rows)} flat (mask-coded) boxes.", ""]
    tot = {k: sum(r[k] for r in rows) for k in
           ("avif_roi_B", "mask1_B", "mask2_B", "rest_avif_B")}
    lines += [f"- all ROI as AVIF crops: {tot['avif_roi_B']} B "
              f"({tot['avif_roi_B'] / max(words, 1):.1f} B/word)",
              f"- flat boxes as 1-bit masks: {tot['mask1_B']} B "
              f"({tot['mask1_B'] / max(flat_words, 1):.1f} B/masked word), "
              f"2-bit: {tot['mask2_B']} B ({tot['mask2_B'] / max(flat_words, 1):.1f} B/word); "
              f"non-flat boxes as AVIF crops: {tot['rest_avif_B']} B", ""]
    for bits in (1, 2):
        names = sorted({n for r in rows for n in r.get(f"coders{bits}", {})})
        parts = []
        for n in names:
            b = sum(r[f"coders{bits}"][n][0] for r in rows if f"coders{bits}" in r)
            s = sum(r[f"coders{bits}"][n][1] for r in rows if f"coders{bits}" in r)
            parts.append(f"{n} {b} B {s:.2f} s")
        lines.append(f"- {bits}-bit atlas, all screens: " + "; ".join(parts))
    lines += ["", "| image | roi words | flat words | AVIF ROI B | mask1 B | mask2 B | rest AVIF B"
              " | acc AVIF | acc mask1 | acc mask2 | enc s | dec s |", "|" + "---|" * 12]
    for r in rows:
        lines.append(f"| {r['image']} | {r['roi_words']} | {r['flat_words']} | {r['avif_roi_B']}"
                     f" | {r['mask1_B']} | {r['mask2_B']} | {r['rest_avif_B']} | "
                     f"{r['acc_avif']:.3f} | {r['acc_mask1']:.3f} | {r['acc_mask2']:.3f} | "
                     f"{r['enc_s']:.2f} | {r['dec_s']:.2f} |")
    mean = {k: float(np.nanmean([r[k] for r in rows])) for k in ("acc_avif", "acc_mask1",
                                                                 "acc_mask2")}
    lines += ["", "Mean text accuracy (original with ROI regions replaced by their decode): "
              + ", ".join(f"{k} {v:.3f}" for k, v in mean.items())]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()

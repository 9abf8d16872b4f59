"""Classic codec baselines on the benchmark set: PNG, WebP, JPEG XL, AVIF (lossless and lossy).

    .venv/bin/python bench/classic_baselines.py [--split test] [--jobs 2] [--limit N]

Writes bench/results/classic.md (means per codec and setting, screens and photos apart, the
command at the top) and bench/results/classic.csv (one row per image and codec setting).
`evaluate(original, encode, decode)` is the reusable per-codec runner (PICD rows can use it).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import os
import platform
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_THREAD_LIMIT", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import imagecodecs  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from bench import metrics  # noqa: E402

HERE = Path(__file__).resolve().parent
FIELDS = [
    "image",
    "kind",
    "theme",
    "scale",
    "split",
    "codec",
    "setting",
    "width",
    "height",
    "bytes",
    "bpp",
    "psnr",
    "ms_ssim",
    "text_acc",
    "char_acc",
    "enc_s",
    "dec_s",
]
Encoder = Callable[[Image.Image], bytes]
Decoder = Callable[[bytes], Image.Image]


@dataclass(frozen=True)
class Codec:
    """One codec at one setting."""

    name: str
    setting: str
    encode: Encoder
    decode: Decoder


def _pil_enc(fmt: str, **kw: Any) -> Encoder:
    def enc(img: Image.Image) -> bytes:
        buf = io.BytesIO()
        img.save(buf, format=fmt, **kw)
        return buf.getvalue()

    return enc


def _pil_dec(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    img.load()
    return img.convert("RGB")


def _jxl_enc(**kw: Any) -> Encoder:
    def enc(img: Image.Image) -> bytes:
        return bytes(imagecodecs.jpegxl_encode(np.asarray(img.convert("RGB")), numthreads=1, **kw))

    return enc


def _jxl_dec(data: bytes) -> Image.Image:
    return Image.fromarray(imagecodecs.jpegxl_decode(data, numthreads=1)).convert("RGB")


CODECS: list[Codec] = [
    Codec("png", "optimize", _pil_enc("PNG", optimize=True), _pil_dec),
    Codec("webp-lossless", "m4", _pil_enc("WEBP", lossless=True, quality=80, method=4), _pil_dec),
    Codec("jxl-lossless", "e7", _jxl_enc(lossless=True, effort=7), _jxl_dec),
    *(
        Codec("avif", f"q{q}", _pil_enc("AVIF", quality=q, speed=6, max_threads=1), _pil_dec)
        for q in (20, 40, 60, 80)
    ),
    Codec(
        "avif-444",
        "q50",
        _pil_enc("AVIF", quality=50, speed=6, max_threads=1, subsampling="4:4:4"),
        _pil_dec,
    ),
    *(Codec("jxl", f"d{d:g}", _jxl_enc(distance=d, effort=7), _jxl_dec) for d in (1.0, 3.0, 6.0)),
    *(
        Codec("webp", f"q{q}", _pil_enc("WEBP", quality=q, method=4), _pil_dec)
        for q in (30, 60, 90)
    ),
]


def evaluate(
    original: Image.Image, encode: Encoder, decode: Decoder, text: bool = True
) -> dict[str, float]:
    """Encode and decode `original` once; return bytes, bpp, PSNR, MS-SSIM, text and char
    accuracy (nan when `text` is False or the original has no confident words) and the
    encode / decode wall seconds."""
    original = original.convert("RGB")
    t0 = time.perf_counter()
    data = encode(original)
    t1 = time.perf_counter()
    recon = decode(data)
    t2 = time.perf_counter()
    w, h = original.size
    row = {
        "bytes": len(data),
        "bpp": metrics.bpp(len(data), w, h),
        "psnr": metrics.psnr(original, recon),
        "ms_ssim": metrics.ms_ssim(original, recon),
        "text_acc": math.nan,
        "char_acc": math.nan,
        "enc_s": t1 - t0,
        "dec_s": t2 - t1,
    }
    if text:
        ow, rw = metrics.ocr_words(original), metrics.ocr_words(recon)
        row["text_acc"] = metrics.text_accuracy_words(ow, rw)
        row["char_acc"] = metrics.char_accuracy_words(ow, rw)
    return row


def run_image(args: tuple[Path, dict[str, Any], list[str]]) -> list[dict[str, Any]]:
    """Every selected codec on one image of the manifest."""
    path, entry, names = args
    img = Image.open(path).convert("RGB")
    rows = []
    for c in CODECS:
        if names and c.name not in names:
            continue
        r = evaluate(img, c.encode, c.decode, text=entry["kind"] != "photo")
        rows.append(
            {
                "image": entry["file"],
                "kind": entry["kind"],
                "theme": entry["theme"],
                "scale": entry["scale"],
                "split": entry.get("split", "test"),
                "codec": c.name,
                "setting": c.setting,
                "width": img.width,
                "height": img.height,
                **r,
            }
        )
    return rows


def _mean(rows: list[dict[str, Any]], key: str) -> float:
    vals = [r[key] for r in rows if isinstance(r[key], float) and math.isfinite(r[key])]
    return sum(vals) / len(vals) if vals else math.nan


def summary_markdown(rows: list[dict[str, Any]], command: str) -> str:
    """The means table per group (screens / photos) and codec setting, as Markdown."""
    cols = ["bpp", "psnr", "ms_ssim", "text_acc", "char_acc", "enc_s", "dec_s"]
    out = [
        "# Classic codec baselines on the PICD benchmark set",
        "",
        f"Command: `{command}`",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores shared with other jobs "
        f"(timings are noisy), Python {platform.python_version()}, Pillow "
        f"{Image.__version__}, imagecodecs {imagecodecs.__version__}; "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.",
        "",
        "Means over images. psnr: mean of finite values (lossless rows are inf = identical). "
        "text_acc: fraction of the original's plain-Tesseract words (conf >= 60, >= 2 chars) "
        "read again exactly in the decode (multiset); char_acc: 1 - CER of the decode's OCR "
        "text vs the original's. Text metrics on screenshots only. Seconds: wall time of one "
        "encode / decode, single-threaded codecs.",
        "",
    ]
    for group in ("screens", "photos"):
        sub = [r for r in rows if (r["kind"] == "photo") == (group == "photos")]
        if not sub:
            continue
        n_img = len({r["image"] for r in sub})
        out += [
            f"## {group} ({n_img} images)",
            "",
            "| codec | setting | " + " | ".join(cols) + " |",
            "|---|---|" + "---|" * len(cols),
        ]
        keys = list(dict.fromkeys((r["codec"], r["setting"]) for r in sub))
        for codec, setting in keys:
            rs = [r for r in sub if r["codec"] == codec and r["setting"] == setting]
            vals = []
            for k in cols:
                v = _mean(rs, k)
                if k == "psnr" and math.isnan(v) and rs:
                    vals.append("inf")
                else:
                    vals.append("n/a" if math.isnan(v) else f"{v:.4f}")
            out.append(f"| {codec} | {setting} | " + " | ".join(vals) + " |")
        out.append("")
    return "\n".join(out)


def write_results(rows: list[dict[str, Any]], command: str, out: Path) -> None:
    """Write `out`.csv (rows sorted by image, codec order) and `out`.md (the summary)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    order = {(c.name, c.setting): i for i, c in enumerate(CODECS)}
    rows = sorted(rows, key=lambda r: (r["image"], order.get((r["codec"], r["setting"]), 0)))
    with open(out.with_suffix(".csv"), "w", newline="") as f:
        wr = csv.DictWriter(f, fieldnames=FIELDS)
        wr.writeheader()
        wr.writerows(rows)
    out.with_suffix(".md").write_text(summary_markdown(rows, command) + "\n")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=HERE / "data")
    ap.add_argument("--manifest", type=Path, default=HERE / "set_manifest.json")
    ap.add_argument(
        "--split",
        choices=["test", "val", "all"],
        default="test",
        help="screenshots of this split (photos are always included)",
    )
    ap.add_argument("--codecs", nargs="*", default=[], help="codec names (default: all)")
    ap.add_argument("--limit", type=int, default=0, help="first N images only (smoke runs)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--out", type=Path, default=HERE / "results" / "classic")
    args = ap.parse_args(argv)
    entries = json.loads(args.manifest.read_text())["images"]
    entries = [e for e in entries if args.split == "all" or e.get("split", "test") == args.split]
    if args.limit:
        entries = entries[: args.limit]
    work = [(args.data / e["file"], e, args.codecs) for e in entries]
    command = ".venv/bin/python bench/classic_baselines.py " + " ".join(
        sys.argv[1:] if argv is None else argv
    )
    rows: list[dict[str, Any]] = []
    with ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = [pool.submit(run_image, w) for w in work]
        for i, fut in enumerate(as_completed(futures), 1):
            rs = fut.result()
            rows += rs
            print(f"[{i}/{len(work)}] {rs[0]['image'] if rs else ''}", flush=True)
            note = "" if i == len(work) else f" (partial: {i} of {len(work)} images)"
            write_results(rows, command.strip() + note, args.out)
    print(f"wrote {args.out.with_suffix('.md')} and .csv ({len(rows)} rows)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

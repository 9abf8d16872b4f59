"""Speed and memory of the learned base codec on 1920x1080 and 3840x2160 screenshots (CPU).

    .venv/bin/python bench/learned_speed.py --threads 2 --repeat 3

Each 1920x1080 screenshot of the benchmark's test split goes through real OCR and
`text.fit.build_layer`, as in the encoder; the learned codec then codes the cleaned image with
the text layer as condition (quality 1 and 5). Encode and decode seconds exclude OCR. "cold" is
the first encode + decode in a fresh codec object (weights loaded, CDF tables built). 4K: a
2x2 mosaic of the 1080p screens at quality 5 (coded at full size, where the memory peaks),
peak RSS growth of encode and of decode. Writes
bench/results/learned_speed.md. Run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_THREAD_LIMIT", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402
from PIL import Image  # noqa: E402

from bench import metrics  # noqa: E402
from bench.diffusion_speed import mosaic_4k, screens_1080p  # noqa: E402
from picd_desktop.base.learned import DEFAULT_MODEL, LearnedCodec  # noqa: E402
from picd_desktop.text.fit import build_layer  # noqa: E402
from picd_desktop.text.ocr import run_ocr  # noqa: E402

Q4K = 5.0  # a full-size quality in every shipped table (lower ones may code downscaled)

ROOT = Path(__file__).resolve().parent
QUALITIES = (1, 5)


def timed(fn, *args, **kwargs) -> tuple[object, float]:
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - t0


def cleaned(path: Path):
    """(text layer, cleaned RGB image) as the encoder makes them."""
    img = Image.open(path).convert("RGB")
    layer, clean, _roi = build_layer(img, run_ocr(img))
    return layer, clean.convert("RGB")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--images", type=int, default=4)
    ap.add_argument("--model", default=DEFAULT_MODEL)
    ap.add_argument("--out", type=Path, default=ROOT / "results" / "learned_speed.md")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    files = screens_1080p(args.images)
    rows = []
    for i, path in enumerate(files):
        layer, img = cleaned(path)
        if i == 0:  # cold: a fresh codec, weights loaded inside the timing
            fresh = LearnedCodec(args.model)
            t0 = time.perf_counter()
            fresh.decode(fresh.encode(img, 1, layer=layer), img.size, layer)
            cold = time.perf_counter() - t0
            codec = fresh
        for q in QUALITIES:
            enc, dec, size = [], [], 0
            for _ in range(args.repeat):
                data, te = timed(codec.encode, img, q, layer=layer)
                _, td = timed(codec.decode, data, img.size, layer)
                enc.append(te)
                dec.append(td)
                size = len(data)
            rows.append((path.name, q, size, statistics.median(enc), statistics.median(dec)))
            print(rows[-1], flush=True)
    mosaic = mosaic_4k(files)
    layer4k, img4k = build_layer(mosaic, run_ocr(mosaic))[:2]
    img4k = img4k.convert("RGB")
    with metrics.peak_memory() as peak_enc:
        data4k, t_enc4k = timed(codec.encode, img4k, Q4K, layer=layer4k)
    with metrics.peak_memory() as peak_dec:
        _, t_dec4k = timed(codec.decode, data4k, img4k.size, layer4k)
    total = [e + d for *_, e, d in rows]
    lines = [
        "# Learned base codec: speed and memory (CPU)", "",
        f"Command: `python bench/learned_speed.py {' '.join(sys.argv[1:])}`", "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, torch threads {args.threads}, "
        f"no GPU; date {time.strftime('%Y-%m-%d')}. Model `{args.model}` "
        f"(sha256 `{codec.card['sha256'][:16]}...`), tiles of {codec.tile} px. Base layer "
        "alone: the cleaned screenshot with its text layer as condition; OCR not timed.", "",
        "| image (1920x1080) | quality | bytes | encode s | decode s | encode + decode s |",
        "|---|---|---|---|---|---|",
    ]
    lines += [f"| {n} | {q} | {b} | {e:.2f} | {d:.2f} | {e + d:.2f} |"
              for n, q, b, e, d in rows]
    lines += ["", f"Encode + decode (median of {args.repeat} per row): mean "
              f"**{statistics.mean(total):.2f} s**, worst **{max(total):.2f} s** (target 3 s). "
              f"Cold (fresh codec, weights loaded and CDF tables built inside the timing): "
              f"{cold:.2f} s.", "",
              f"3840x2160 (2x2 mosaic, quality {Q4K:g}, full size): encode {t_enc4k:.2f} s, "
              f"peak RSS growth "
              f"{peak_enc.mb:.0f} MB; decode {t_dec4k:.2f} s, peak RSS growth "
              f"{peak_dec.mb:.0f} MB (target 3 GB).", ""]
    args.out.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()

"""Encode speed of `picd_desktop.api.encode` on 1920x1080 screenshots, stage by stage.

Runs the same steps as `api.encode` (default quality, default codec) with a timer around each:
ocr (`run_ocr`), build_layer, text coder (+ thumbnail), base codec, container. Best of N
repetitions per image; writes a Markdown table with the machine, the load average and the CPU
seconds of the Tesseract child processes (resource.getrusage(RUSAGE_CHILDREN)).

    OMP_THREAD_LIMIT=1 .venv/bin/python bench/encode_speed.py [--reps 3] [--size 1920x1080]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import time
from pathlib import Path

os.environ["OMP_THREAD_LIMIT"] = "1"

from picd_desktop import api  # noqa: E402
from picd_desktop.format import container  # noqa: E402
from picd_desktop.format.container import Component, PicdFile, PicdHeader  # noqa: E402
from picd_desktop.imageio import load_image, make_thumbnail  # noqa: E402
from picd_desktop.text import coder, fonts  # noqa: E402
from picd_desktop.text.fit import build_layer  # noqa: E402
from picd_desktop.text.ocr import OcrOptions, run_ocr  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SCREENS = ROOT / "bench/data/screens"
STAGES = ("ocr", "build_layer", "text_coder", "base", "container")


def _child_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def encode_timed(
    path: Path, options: OcrOptions | None = None
) -> tuple[dict[str, float], float, float, bytes]:
    """One encode as `api.encode` does it: (seconds per stage, tesseract CPU s, own CPU s, data)."""
    rgb = load_image(path)
    t: dict[str, float] = {}
    c0, p0 = _child_cpu(), time.process_time()
    s = time.perf_counter()
    page = run_ocr(rgb, "eng", options=options)
    t["ocr"] = time.perf_counter() - s
    tess = _child_cpu() - c0
    t["ocr_py_cpu"] = time.process_time() - p0
    t["ocr_idle_est"] = t["ocr_py_cpu"] + tess / 2

    s = time.perf_counter()
    layer, cleaned, roi = build_layer(rgb, page)
    t["build_layer"] = time.perf_counter() - s

    s = time.perf_counter()
    text = coder.encode_layer(layer)
    thumb = make_thumbnail(rgb)
    t["text_coder"] = time.perf_counter() - s

    s = time.perf_counter()
    codec = api._default_codec()
    base = codec.encode(cleaned, float(api.DEFAULT_QUALITY), roi)
    t["base"] = time.perf_counter() - s

    s = time.perf_counter()
    header = PicdHeader(
        width=rgb.size[0],
        height=rgb.size[1],
        mode="RGB",
        colorspace="sRGB",
        created_ms=int(time.time() * 1000),
        components=(
            Component("base", codec.id, api._digest(codec.sha256)),
            Component("text", coder.CODER_ID, api._digest(coder.CODER_SHA256)),
            Component("glyphs", fonts.FONTSET_ID, api._digest(fonts.FONTSET_SHA256)),
        ),
    )
    data = container.dumps(
        PicdFile(header=header, text=text, base=base, thumb=thumb, meta={}, extra={})
    )
    t["container"] = time.perf_counter() - s
    t["total"] = sum(t[k] for k in STAGES)
    own = time.process_time() - p0
    # On 2 idle cores: Python stages run one after the other, the 2 Tesseract runs in parallel.
    t["idle_est"] = own + tess / 2
    return t, tess, own, data


def _images(size: tuple[int, int]) -> list[Path]:
    from PIL import Image

    out = []
    for p in sorted(SCREENS.glob("*.png")):
        with Image.open(p) as im:
            if im.size == size:
                out.append(p)
    return out


def _machine() -> str:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{platform.node()}: {os.cpu_count()} cores, {cpu}, Python {platform.python_version()}"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--reps", type=int, default=3, help="repetitions per image (best is kept)")
    ap.add_argument("--size", default="1920x1080", help="only images of this size")
    ap.add_argument("--limit", type=int, default=0, help="at most this many images (0 = all)")
    ap.add_argument("--out", type=Path, default=ROOT / "bench/results/encode_speed.md")
    ap.add_argument("--layout", default="", help="OCR layout (bands/strips; default: run_ocr's)")
    ap.add_argument("--check", action="store_true", help="also decode-check with api.read_text")
    args = ap.parse_args(argv)
    w, h = (int(v) for v in args.size.split("x"))
    paths = _images((w, h))[: args.limit or None]
    if not paths:
        sys.exit(f"no {args.size} images in {SCREENS} (run bench/build_set.py)")
    options = OcrOptions(layout=args.layout) if args.layout else None
    load0 = os.getloadavg()
    run_ocr(load_image(paths[0]))  # warm-up: imports, Tesseract language list, font caches
    rows = []
    for p in paths:
        best: tuple[dict[str, float], float, float, bytes] | None = None
        for _ in range(args.reps):
            res = encode_timed(p, options)
            if best is None or res[0]["total"] < best[0]["total"]:
                best = res
        assert best is not None
        t, tess, own, data = best
        if args.check:
            api.read_text(data)
        rows.append((p.name, t, tess, own, len(data)))
        print(
            f"{p.name:40s} "
            + " ".join(f"{k} {t[k]:.2f}" for k in (*STAGES, "total", "idle_est"))
            + f"  tess-cpu {tess:.2f} py-cpu {own:.2f} load {os.getloadavg()[0]:.1f}",
            flush=True,
        )
    load1 = os.getloadavg()
    cmd = "OMP_THREAD_LIMIT=1 .venv/bin/python bench/encode_speed.py " + " ".join(
        argv if argv is not None else sys.argv[1:]
    )
    n = len(rows)
    mean = {k: sum(r[1][k] for r in rows) / n for k in (*STAGES, "total")}
    worst = max(rows, key=lambda r: r[1]["total"])
    lines = [
        "# Encode speed (api.encode stages, 1920x1080 screenshots)",
        "",
        f"Command: `{cmd.strip()}`",
        "",
        f"Machine: {_machine()}. Load average (1/5/15 min) before: "
        f"{load0[0]:.2f}/{load0[1]:.2f}/{load0[2]:.2f}, after: "
        f"{load1[0]:.2f}/{load1[1]:.2f}/{load1[2]:.2f}. The machine is shared with other jobs:",
        "wall times are noisy; the CPU columns are steadier (tess CPU = user+sys of the",
        "Tesseract child processes; OCR py CPU = this process during run_ocr; py CPU = this",
        "process over the whole encode, all threads). idle est. = py CPU + tess CPU / 2: the",
        "expected wall time on 2 idle cores (Python stages in sequence, 2 Tesseract runs in",
        "parallel; optimistic where the two runs are unbalanced, pessimistic where a stage uses",
        "several threads); OCR idle est. = OCR py CPU + tess CPU / 2, the same for run_ocr.",
        f"Images: all {n} {args.size} PNGs of bench/data/screens (all splits), best of "
        f"{args.reps} per image (the repetition with the smallest total). Seconds.",
        "",
        "| image | " + " | ".join(STAGES) + " | total | tess CPU | OCR py CPU |"
        " OCR idle est. | py CPU | idle est. | bytes |",
        "|---|" + "---|" * (len(STAGES) + 7),
        *[
            f"| {name} | "
            + " | ".join(f"{t[k]:.2f}" for k in STAGES)
            + f" | {t['total']:.2f} | {tess:.2f} | {t['ocr_py_cpu']:.2f} |"
            f" {t['ocr_idle_est']:.2f} | {own:.2f} |"
            f" {t['idle_est']:.2f} | {size} |"
            for name, t, tess, own, size in rows
        ],
        "| **mean** | "
        + " | ".join(f"{mean[k]:.2f}" for k in STAGES)
        + f" | {mean['total']:.2f} | {sum(r[2] for r in rows) / n:.2f} | "
        f"{sum(r[1]['ocr_py_cpu'] for r in rows) / n:.2f} | "
        f"{sum(r[1]['ocr_idle_est'] for r in rows) / n:.2f} | {sum(r[3] for r in rows) / n:.2f} |"
        f" {sum(r[1]['idle_est'] for r in rows) / n:.2f} | |",
        "",
        f"Slowest: {worst[0]} {worst[1]['total']:.2f} s.",
        "",
    ]
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text("\n".join(lines))


if __name__ == "__main__":
    main()

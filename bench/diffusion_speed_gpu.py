"""Diffusion renderer speed on a GPU, without Tesseract or the AVIF decoder (run by gpu_run.sh).

    python bench/diffusion_speed_gpu.py --cache RENDER_CACHE --out speed.json

The lent GPU machine has neither Tesseract nor this project's encoder dependencies, so the
1920x1080 input is assembled from the renderer's training cache (made here by the real
encoder): the decoded quality-1 base and the glyph image of two synthetic screens side by side
(1600 px + 320 px). The text layer is empty, so no word is protected; which tiles go through
the network is decided from the picture as usual. Times the default settings in float32 and
under bf16 autocast (median of 5 after 2 warm-ups), and the largest pixel difference between
the CUDA and the CPU render. `--device cpu` checks the script here (float32 only).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from contextlib import nullcontext
from pathlib import Path

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from picd_desktop.render.diffusion.renderer import DiffusionRenderer  # noqa: E402
from picd_desktop.text.layer import TextLayer  # noqa: E402

SIZE = (1920, 1080)


def screen_pair(cache: Path) -> tuple[Image.Image, Image.Image]:
    """(base RGB, glyphs RGBA) of 1920x1080 from the two first 1600x1080 synthetic screens."""
    names = sorted(p.name[:-len(".glyph.png")] for p in cache.glob("synth*.glyph.png")
                   if Image.open(p).size == (1600, 1080))[:2]
    if len(names) < 2:
        raise SystemExit(f"no two 1600x1080 synthetic screens in {cache}")
    base, glyphs = Image.new("RGB", SIZE), Image.new("RGBA", SIZE)
    for name, x in zip(names, (0, 1600), strict=True):
        b = Image.open(cache / f"{name}.q1.base.png").convert("RGB")
        g = Image.open(cache / f"{name}.glyph.png").convert("RGBA")
        base.paste(b, (x, 0))
        glyphs.paste(g, (x, 0))
    return base, glyphs


def timed(renderer: DiffusionRenderer, base, glyphs, layer, device: str, bf16: bool,
          n: int, warm: int = 2) -> tuple[list[float], Image.Image]:
    ctx = torch.autocast(device, dtype=torch.bfloat16) if bf16 else nullcontext()
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    times, out = [], None
    with ctx:
        for i in range(n + warm):
            sync()
            t0 = time.perf_counter()
            out = renderer.render(base, glyphs, layer)
            sync()
            if i >= warm:
                times.append(time.perf_counter() - t0)
    return times, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--device", default="cuda", help="cpu only to check this script")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    base, glyphs = screen_pair(args.cache)
    layer = TextLayer(*SIZE)
    gpu = DiffusionRenderer(device=args.device)
    warm = 2 if args.device == "cuda" else 0
    t32, out32 = timed(gpu, base, glyphs, layer, args.device, False, args.repeat, warm)
    bf16 = None  # on this project's CPU bf16 autocast is 27x slower: measured on CUDA only
    if args.device == "cuda":
        bf16 = timed(gpu, base, glyphs, layer, args.device, True, args.repeat, warm)
    cpu = DiffusionRenderer(device="cpu").render(base, glyphs, layer)
    diff = lambda a, b: int(np.abs(np.asarray(a, np.int16) - np.asarray(b, np.int16)).max())  # noqa: E731
    result = {
        "device": torch.cuda.get_device_name() if args.device == "cuda" else "cpu",
        "torch": torch.__version__,
        "size": SIZE, "steps": gpu.settings.steps,
        "fp32_s": {"median": statistics.median(t32), "all": t32},
        "max_abs_diff_vs_cpu": diff(out32, cpu),
    }
    if bf16:
        result["bf16_autocast_s"] = {"median": statistics.median(bf16[0]), "all": bf16[0]}
        result["max_abs_diff_bf16_vs_fp32"] = diff(bf16[1], out32)
    args.out.write_text(json.dumps(result, indent=1))
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()

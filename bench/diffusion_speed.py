"""Speed and memory of the diffusion renderer at default settings (1080p and 4K screenshots).

    .venv/bin/python bench/diffusion_speed.py --threads 2 --repeat 3

1080p: the 1920x1080 screenshots of the benchmark's test split, encoded at quality 1 and
rendered with the default settings (RenderSettings), then with guidance on. 4K: two of them side by
side and two below (3840x2160), peak RSS growth of the render measured. Writes
bench/results/diffusion_speed.md. Run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import json
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
from picd_desktop import api  # noqa: E402
from picd_desktop.render.diffusion.renderer import DiffusionRenderer  # noqa: E402
from picd_desktop.render.diffusion.tiles import active_tiles, plan_tiles  # noqa: E402
from picd_desktop.text.glyphs import draw_glyphs  # noqa: E402

ROOT = Path(__file__).resolve().parent


def screens_1080p(limit: int) -> list[Path]:
    manifest = json.loads((ROOT / "set_manifest.json").read_text())
    out = [ROOT / "data" / e["file"] for e in manifest["images"]
           if e.get("split") == "test" and e.get("size") == [1920, 1080]]
    return out[:limit]


def mosaic_4k(files: list[Path]) -> Image.Image:
    """3840x2160: the first four 1080p screenshots (repeated if fewer) in a 2x2 grid."""
    mosaic = Image.new("RGB", (3840, 2160))
    for i, path in enumerate((files * 4)[:4]):
        mosaic.paste(Image.open(path).convert("RGB"), ((i % 2) * 1920, (i // 2) * 1080))
    return mosaic


def active_share(base: Image.Image, glyphs: Image.Image, renderer: DiffusionRenderer) -> float:
    """Share of the tiles the network runs on (the rest keep the anchor)."""
    from picd_desktop.render.diffusion.model import anchor_image  # noqa: PLC0415
    from picd_desktop.render.diffusion.tensors import glyph_tensor, image_tensor  # noqa: PLC0415

    s = renderer.settings
    (ph, pw), tiles = plan_tiles(base.height, base.width, s.tile, s.overlap, 8)
    pad = (0, pw - base.width, 0, ph - base.height)
    b = torch.nn.functional.pad(image_tensor(base), pad, mode="replicate")
    g = torch.nn.functional.pad(glyph_tensor(glyphs), pad, value=-1.0)
    act = active_tiles(anchor_image(b, g), (g[:, 3:4] + 1) / 2, tiles)
    return sum(act) / len(act)


def time_render(renderer: DiffusionRenderer, data: bytes, repeat: int) -> list[float]:
    base, layer = api.decode_layers(data)
    glyphs = draw_glyphs(layer)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        renderer.render(base, glyphs, layer)
        times.append(time.perf_counter() - t0)
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--images", type=int, default=4)
    ap.add_argument("--out", type=Path, default=ROOT / "results" / "diffusion_speed.md")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    plain = DiffusionRenderer(device="cpu")
    guided = DiffusionRenderer(device="cpu", guidance=True)
    rows = []
    files = screens_1080p(args.images)
    for path in files:
        data = api.encode(path, quality=1)
        base, layer = api.decode_layers(data)
        share = active_share(base, draw_glyphs(layer), plain)
        t_plain = time_render(plain, data, args.repeat)
        t_guided = time_render(guided, data, 1)
        rows.append((path.name, share, statistics.median(t_plain), t_guided[0]))
        print(rows[-1], flush=True)
    # 4K: a 2x2 mosaic of the first four 1080p screenshots
    data4k = api.encode(mosaic_4k(files), quality=1)
    base4k, layer4k = api.decode_layers(data4k)
    glyphs4k = draw_glyphs(layer4k)
    with metrics.peak_memory() as peak:
        t0 = time.perf_counter()
        plain.render(base4k, glyphs4k, layer4k)
        t4k = time.perf_counter() - t0
    lines = [
        "# Diffusion renderer: speed and memory (CPU)", "",
        f"Command: `python bench/diffusion_speed.py {' '.join(sys.argv[1:])}`", "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, torch threads {args.threads}, "
        f"no GPU; date {time.strftime('%Y-%m-%d')}. Default settings: "
        f"{plain.settings.steps} steps, strength {plain.settings.strength}, tile "
        f"{plain.settings.tile}. Render seconds exclude the base decode (~0.2 s).", "",
        "| image (1920x1080, quality 1) | tiles through the network | render s (median) | "
        "with guidance s |", "|---|---|---|---|",
    ]
    lines += [f"| {n} | {s:.0%} | {tp:.2f} | {tg:.2f} |" for n, s, tp, tg in rows]
    lines += ["", f"Mean render: {statistics.mean(r[2] for r in rows):.2f} s; worst "
              f"{max(r[2] for r in rows):.2f} s; with guidance mean "
              f"{statistics.mean(r[3] for r in rows):.2f} s.", "",
              f"3840x2160 (2x2 mosaic): render {t4k:.2f} s, peak RSS growth {peak.mb:.0f} MB "
              f"(tiles through the network: {active_share(base4k, glyphs4k, plain):.0%}).", ""]
    args.out.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()

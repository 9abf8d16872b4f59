"""Training pairs for the diffusion renderer: (original, decoded base, glyph image) at real rates.

Every source image goes through the real encoder (`api.encode`: Tesseract OCR, the text
layer, the default base codec) at several qualities and back through `api.decode_layers`, so
the renderer trains on exactly what the decoder will hand it. Sources (../shared/DATA.md,
never the benchmark set): GIMP help screenshots not in bench/set_manifest.json, the project's
synthetic screens drawn with training seeds, and photos from `opencv-doc` not in the benchmark.

Cache layout: `<name>.png` (original), `<name>.q<Q>.base.png`, `<name>.glyph.png` (RGBA) and
`manifest.json` (name, size, domain, qualities, source, bytes per quality).

    python -m picd_desktop.train.render_data CACHE [--gimp N] [--qualities 1 3 5]
"""

from __future__ import annotations

import argparse
import json
import os
import random
from collections.abc import Iterator
from pathlib import Path

from PIL import Image

from picd_desktop.train.data import gimp_images, photo_candidates, synthetic_images

SYNTH_SEEDS = (7, 8, 9)  # the benchmark set uses 20251125
MAX_SIDE = 1600  # larger sources are cut to a centred window of this size


def sources(n_gimp: int, seed: int) -> Iterator[tuple[str, Image.Image, str]]:
    """(name, RGB image, provenance) for every training source, in a fixed order."""
    yield from gimp_images(n_gimp, seed)
    for p in photo_candidates():
        yield f"photo_{p.stem}", Image.open(p).convert("RGB"), str(p)
    for s in SYNTH_SEEDS:
        yield from synthetic_images(s)


def _window(img: Image.Image, rng: random.Random) -> Image.Image:
    w, h = img.size
    if max(w, h) <= MAX_SIDE:
        return img
    cw, ch = min(w, MAX_SIDE), min(h, MAX_SIDE)
    x, y = rng.randrange(w - cw + 1), rng.randrange(h - ch + 1)
    return img.crop((x, y, x + cw, y + ch))


def prepare(cache: Path, items: Iterator[tuple[str, Image.Image, str]],
            qualities: tuple[int, ...] = (1, 3, 5), seed: int = 2) -> list[dict]:
    """Encode + decode every (name, image, provenance) into `cache` (resumable); returns the
    manifest entries."""
    from picd_desktop import api  # noqa: PLC0415
    from picd_desktop.text.glyphs import draw_glyphs  # noqa: PLC0415
    from picd_desktop.text.photo import is_photo_like  # noqa: PLC0415

    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    cache.mkdir(parents=True, exist_ok=True)
    man_path = cache / "manifest.json"
    entries = json.loads(man_path.read_text()) if man_path.exists() else []
    done = {e["name"] for e in entries}
    rng = random.Random(seed)
    for name, img, provenance in items:
        if name in done:
            continue
        img = _window(img, rng)
        img.save(cache / f"{name}.png")
        sizes = {}
        for q in qualities:
            data = api.encode(img, quality=q)
            base, layer = api.decode_layers(data)
            base.save(cache / f"{name}.q{q}.base.png")
            sizes[str(q)] = len(data)
        draw_glyphs(layer).save(cache / f"{name}.glyph.png")
        entries.append({
            "name": name, "size": list(img.size), "source": provenance,
            "domain": "photo" if is_photo_like(base) else "screen",
            "qualities": list(qualities), "bytes": sizes,
            "words": sum(1 for _ in layer.words()),
            "drawn": sum(1 for _, w in layer.words() if w.drawn),
        })
        tmp = man_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(entries, indent=1))
        tmp.replace(man_path)
        print(f"{len(entries):4d} {name} {img.size} {entries[-1]['domain']}", flush=True)
    return entries


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("cache", type=Path)
    ap.add_argument("--gimp", type=int, default=150, help="GIMP help screenshots to take")
    ap.add_argument("--qualities", type=int, nargs="+", default=[1, 3, 5])
    ap.add_argument("--seed", type=int, default=2)
    args = ap.parse_args(argv)
    entries = prepare(args.cache, sources(args.gimp, args.seed), tuple(args.qualities), args.seed)
    print(f"{len(entries)} images in {args.cache}")


if __name__ == "__main__":
    main()

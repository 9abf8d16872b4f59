"""Training data for the learned base codec: screenshots with their text taken out by the core.

Sources (../shared/DATA.md, never the benchmark set): GIMP screenshots from Debian
`gimp-help-en` that bench/set_manifest.json does not list, and the project's synthetic screens
(bench/sources/synthetic.py) drawn with another seed. Each image goes through real Tesseract OCR
and `text.fit.build_layer`, exactly as at encode time: the codec trains on `cleaned` with the
layer's glyph planes (`base.learned.cond_planes`) as condition. Results are cached as
<name>.png (cleaned) + <name>.cond.npy (uint8 H x W x 5) + manifest.json.
"""

from __future__ import annotations

import json
import os
import random
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

GIMP_ROOT = Path("/usr/share/gimp/2.0/help/en/images")
REPO = Path(__file__).resolve().parents[2]
SYNTH_SEED = 7  # the benchmark set uses 20251125
MIN_SIDE = 256


def bench_sources() -> set[str]:
    """Source paths of the benchmark images (excluded from training)."""
    manifest = json.loads((REPO / "bench" / "set_manifest.json").read_text())
    return {str(e["source"].get("path", "")) for e in manifest["images"]}


def gimp_candidates(n: int, seed: int) -> list[Path]:
    """`n` GIMP help PNGs (>= MIN_SIDE both sides, not in the benchmark), seeded choice."""
    taken = bench_sources()
    paths = []
    for p in sorted(GIMP_ROOT.rglob("*.png")):
        if str(p) in taken:
            continue
        with Image.open(p) as im:
            if min(im.size) >= MIN_SIDE:
                paths.append(p)
    random.Random(seed).shuffle(paths)
    return paths[:n]


def flatten(path: Path) -> Image.Image:
    """A palette / RGBA PNG flattened on white to RGB."""
    img = Image.open(path).convert("RGBA")
    flat = Image.new("RGB", img.size, (255, 255, 255))
    flat.paste(img, mask=img.getchannel("A"))
    return flat


def synthetic_images() -> list[tuple[str, Image.Image]]:
    """The synthetic screens drawn with SYNTH_SEED (names synth7_*)."""
    sys.path.insert(0, str(REPO))
    from bench.sources import synthetic  # noqa: PLC0415 (bench is not part of the package)

    with tempfile.TemporaryDirectory() as tmp:
        synthetic.build(Path(tmp), SYNTH_SEED)
        return [(f"synth7_{p.stem[6:]}", Image.open(p).convert("RGB"))
                for p in sorted(Path(tmp).glob("synth_*.png"))]


def prepare(cache: Path, n_gimp: int = 40, seed: int = 1, synthetic: bool = True) -> list[dict]:
    """OCR + clean every source image once into `cache`; returns the manifest entries."""
    from picd_desktop.base.learned import cond_planes  # noqa: PLC0415
    from picd_desktop.text.fit import build_layer  # noqa: PLC0415
    from picd_desktop.text.ocr import run_ocr  # noqa: PLC0415

    os.environ["OMP_THREAD_LIMIT"] = "1"
    cache.mkdir(parents=True, exist_ok=True)
    man_path = cache / "manifest.json"
    entries = json.loads(man_path.read_text()) if man_path.exists() else []
    done = {e["name"] for e in entries}
    todo: list[tuple[str, object]] = [
        (f"gimp_{p.relative_to(GIMP_ROOT).with_suffix('').as_posix().replace('/', '_')}", p)
        for p in gimp_candidates(n_gimp, seed)]
    if synthetic:
        todo += synthetic_images()
    for name, src in todo:
        if name in done:
            continue
        img = flatten(src) if isinstance(src, Path) else src
        layer, cleaned, _roi = build_layer(img, run_ocr(img))
        cleaned.convert("RGB").save(cache / f"{name}.png")
        np.save(cache / f"{name}.cond.npy", cond_planes(layer, img.size))
        entries.append({"name": name, "size": list(img.size),
                        "source": str(src) if isinstance(src, Path) else
                        f"bench/sources/synthetic.py seed {SYNTH_SEED}",
                        "words": sum(1 for _ in layer.words()),
                        "drawn": sum(1 for _, w in layer.words() if w.drawn)})
        man_path.write_text(json.dumps(entries, indent=1))
    return entries


class CropSampler:
    """Random crops (side multiple of 64) of the cached images: (x, cond) uint8 arrays."""

    def __init__(self, cache: Path, crop: int = 256, seed: int = 0) -> None:
        entries = json.loads((cache / "manifest.json").read_text())
        self.images = [np.asarray(Image.open(cache / f"{e['name']}.png").convert("RGB"))
                       for e in entries]
        self.conds = [np.load(cache / f"{e['name']}.cond.npy") for e in entries]
        self.crop, self.rng = crop, np.random.default_rng(seed)
        areas = np.array([im.shape[0] * im.shape[1] for im in self.images], float)
        self.p = areas / areas.sum()

    def sample(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """(n, c, c, 3) images and (n, c, c, 5) condition planes."""
        c = self.crop
        xs, cs = [], []
        for i in self.rng.choice(len(self.images), n, p=self.p):
            im, co = self.images[i], self.conds[i]
            h, w = im.shape[:2]
            if h < c or w < c:
                pad = ((0, max(0, c - h)), (0, max(0, c - w)), (0, 0))
                im, co = np.pad(im, pad, "edge"), np.pad(co, pad, "edge")
                h, w = im.shape[:2]
            y0 = int(self.rng.integers(0, h - c + 1))
            x0 = int(self.rng.integers(0, w - c + 1))
            xs.append(im[y0:y0 + c, x0:x0 + c])
            cs.append(co[y0:y0 + c, x0:x0 + c])
        return np.stack(xs), np.stack(cs)

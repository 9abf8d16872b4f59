"""Training data for the learned base codec: screenshots with their text taken out by the core.

Sources (../shared/DATA.md, never the benchmark set): GIMP screenshots from Debian
`gimp-help-en` that bench/set_manifest.json does not list, the project's synthetic screens
(bench/sources/synthetic.py) drawn with other seeds, and optionally the `opencv-doc` photos
the benchmark does not use. Each image goes through real Tesseract OCR
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
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
from PIL import Image

GIMP_ROOT = Path("/usr/share/gimp/2.0/help/en/images")
PHOTO_ROOT = Path("/usr/share/doc/opencv-doc/examples/data")
REPO = Path(__file__).resolve().parents[2]
SYNTH_SEED = 7
BENCH_SYNTH_SEED = 20251125  # the benchmark set's (bench/build_set.py): never for training
MIN_SIDE = 256
# Calibration boards, logos, stereo halves and masks are not photos worth learning from.
_PHOTO_SKIP = ("left", "right", "chessboard", "logo", "mask", "gradient", "digits", "box",
               "pic", "imageText", "ml.", "notes", "alphabet", "detect_blob", "ellipses",
               "graf", "cards", "aloeGT", "licenseplate")


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


def gimp_images(n: int, seed: int) -> Iterator[tuple[str, Image.Image, str]]:
    """(name, RGB image, provenance) of gimp_candidates(n, seed)."""
    for p in gimp_candidates(n, seed):
        name = "gimp_" + p.relative_to(GIMP_ROOT).with_suffix("").as_posix().replace("/", "_")
        yield name, flatten(p), str(p)


def photo_candidates() -> list[Path]:
    """opencv-doc JPEG/PNG photos (>= MIN_SIDE) that the benchmark set does not use."""
    taken = bench_sources()
    names = {Path(p).name for p in taken}
    out = []
    for p in sorted(PHOTO_ROOT.glob("*")):
        if p.suffix.lower() not in (".jpg", ".png") or p.name in names or str(p) in taken:
            continue
        if any(p.name.startswith(s) or s in p.name for s in _PHOTO_SKIP):
            continue
        with Image.open(p) as im:
            if min(im.size) >= MIN_SIDE:
                out.append(p)
    return out


def synthetic_images(seed: int = SYNTH_SEED) -> Iterator[tuple[str, Image.Image, str]]:
    """The project's synthetic screens drawn with `seed` (names synth<seed>_*)."""
    sys.path.insert(0, str(REPO))
    from bench.sources import synthetic  # noqa: PLC0415 (bench is not part of the package)

    with tempfile.TemporaryDirectory() as tmp:
        synthetic.build(Path(tmp), seed)
        for p in sorted(Path(tmp).glob("synth_*.png")):
            yield (f"synth{seed}_{p.stem[6:]}", Image.open(p).convert("RGB"),
                   f"bench/sources/synthetic.py seed {seed}")


def codec_sources(n_gimp: int = 40, seed: int = 1, synth_seeds: tuple[int, ...] = (SYNTH_SEED,),
                  photos: bool = False) -> Iterator[tuple[str, Image.Image, str]]:
    """(name, RGB image, provenance) of the codec's training images, in a fixed order."""
    if BENCH_SYNTH_SEED in synth_seeds:
        raise ValueError(f"seed {BENCH_SYNTH_SEED} draws the benchmark's synthetic screens")
    yield from gimp_images(n_gimp, seed)
    for s in synth_seeds:
        yield from synthetic_images(s)
    if photos:
        for p in photo_candidates():
            yield f"photo_{p.stem}", Image.open(p).convert("RGB"), str(p)


def prepare(cache: Path, items: Iterable[tuple[str, Image.Image, str]] | None = None
            ) -> list[dict]:
    """OCR + clean every source image once into `cache` (default sources: codec_sources());
    returns the manifest entries. OCR as at encode time (text.photo.encoder_ocr)."""
    from picd_desktop.base.learned import cond_planes  # noqa: PLC0415
    from picd_desktop.text.fit import build_layer  # noqa: PLC0415
    from picd_desktop.text.photo import encoder_ocr  # noqa: PLC0415

    os.environ["OMP_THREAD_LIMIT"] = "1"
    cache.mkdir(parents=True, exist_ok=True)
    man_path = cache / "manifest.json"
    entries = json.loads(man_path.read_text()) if man_path.exists() else []
    done = {e["name"] for e in entries}
    for name, img, source in codec_sources() if items is None else items:
        if name in done:
            continue
        page, photo = encoder_ocr(img)
        layer, cleaned, _roi = build_layer(img, page)
        cleaned.convert("RGB").save(cache / f"{name}.png")
        np.save(cache / f"{name}.cond.npy", cond_planes(layer, img.size))
        entries.append({"name": name, "size": list(img.size), "source": source,
                        "photo": photo, "words": sum(1 for _ in layer.words()),
                        "drawn": sum(1 for _, w in layer.words() if w.drawn)})
        done.add(name)
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

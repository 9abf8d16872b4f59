"""Real GIMP UI screenshots from the Debian `gimp-help-en` manual (palette PNGs -> RGB)."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytesseract
from PIL import Image

from .common import Entry, debian_source, save_rgb

ROOT = Path("/usr/share/gimp/2.0/help/en/images")
QUOTAS = {"dialogs": 3, "menus": 2, "preferences": 2, "filters": 2, "tool-options": 1}
MIN_SIZE = (400, 300)
MIN_WORDS = 12


def _candidates(sub: str) -> list[Path]:
    """PNGs under ROOT/sub at least MIN_SIZE (header read only), sorted."""
    out = []
    for p in sorted((ROOT / sub).rglob("*.png")):
        with Image.open(p) as im:
            if im.width >= MIN_SIZE[0] and im.height >= MIN_SIZE[1]:
                out.append(p)
    return out


def _text_words(img: Image.Image) -> int:
    """Number of confident (>= 60) alphabetic words Tesseract finds: 'has text' test."""
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    data = pytesseract.image_to_data(img, lang="eng", output_type=pytesseract.Output.DICT)
    return sum(
        1
        for t, c in zip(data["text"], data["conf"], strict=True)
        if float(c) >= 60 and len(t.strip()) >= 2 and any(ch.isalpha() for ch in t)
    )


def build(out_dir: Path, seed: int) -> list[Entry]:
    """Pick GIMP help screenshots with text (seeded per-folder quotas); save as RGB PNGs."""
    if not ROOT.is_dir():
        raise RuntimeError("gimp-help-en is not installed: apt-get install gimp-help-en")
    rng = random.Random(seed)
    entries: list[Entry] = []
    for sub, quota in QUOTAS.items():
        cands = _candidates(sub)
        rng.shuffle(cands)
        taken = 0
        for p in cands:
            if taken == quota:
                break
            img = Image.open(p).convert("RGBA")
            flat = Image.new("RGB", img.size, (255, 255, 255))
            flat.paste(img, mask=img.getchannel("A"))
            if _text_words(flat) < MIN_WORDS:
                continue
            name = f"gimp_{sub.replace('-', '_')}_{p.stem.replace('-', '_')}.png"
            save_rgb(flat, out_dir / name)
            mean = sum(flat.convert("L").resize((32, 32)).getdata()) / 1024
            entries.append(
                Entry(
                    file=f"screens/{name}",
                    kind="gimp-ui",
                    theme="dark" if mean < 110 else "light",
                    scale="1x",
                    width=flat.width,
                    height=flat.height,
                    source=debian_source(
                        str(p),
                        "GFDL-NIV-1.2+",
                        seed=seed,
                        note="palette/RGBA PNG flattened on white to RGB",
                    ),
                )
            )
            taken += 1
    return entries

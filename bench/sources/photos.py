"""Natural photos from Debian packages (opencv-doc sample data, darknet sample data)."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from .common import Entry, debian_source, save_rgb

OPENCV = Path("/usr/share/doc/opencv-doc/examples/data")
DARKNET = Path("/usr/share/darknet/data")
PHOTOS = [
    (OPENCV / "baboon.jpg", "BSD-3-Clause"),
    (OPENCV / "building.jpg", "BSD-3-Clause"),
    (OPENCV / "butterfly.jpg", "BSD-3-Clause"),
    (OPENCV / "fruits.jpg", "BSD-3-Clause"),
    (OPENCV / "home.jpg", "BSD-3-Clause"),
    (OPENCV / "messi5.jpg", "BSD-3-Clause"),
    (OPENCV / "orange.jpg", "BSD-3-Clause"),
    (OPENCV / "squirrel_cls.jpg", "BSD-3-Clause"),
    (DARKNET / "dog.jpg", "GPL-3.0+ or MIT or WTFPL"),
    (DARKNET / "eagle.jpg", "GPL-3.0+ or MIT or WTFPL"),
    (DARKNET / "giraffe.jpg", "GPL-3.0+ or MIT or WTFPL"),
    (DARKNET / "horses.jpg", "GPL-3.0+ or MIT or WTFPL"),
    (DARKNET / "kite.jpg", "GPL-3.0+ or MIT or WTFPL"),
    (DARKNET / "person.jpg", "GPL-3.0+ or MIT or WTFPL"),
]
MAX_SIDE = 1920


def build(out_dir: Path) -> list[Entry]:
    """Copy the photos as RGB PNGs, long side <= MAX_SIDE (Lanczos); return manifest entries."""
    missing = [str(p) for p, _ in PHOTOS if not p.is_file()]
    if missing:
        raise RuntimeError(f"missing photos (apt-get install opencv-doc darknet): {missing}")
    entries = []
    for path, licence in PHOTOS:
        img = Image.open(path).convert("RGB")
        if max(img.size) > MAX_SIDE:
            k = MAX_SIDE / max(img.size)
            img = img.resize((round(img.width * k), round(img.height * k)), Image.LANCZOS)
        name = f"{'opencv' if path.parent == OPENCV else 'darknet'}_{path.stem}.png"
        save_rgb(img, out_dir / name)
        entries.append(
            Entry(
                file=f"photos/{name}",
                kind="photo",
                theme="n/a",
                scale="1x",
                width=img.width,
                height=img.height,
                source=debian_source(str(path), licence),
            )
        )
    return entries

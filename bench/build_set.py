"""Build the PICD benchmark set from scratch: screenshots, photos and bench/set_manifest.json.

Usage: .venv/bin/python bench/build_set.py [--out bench/data] [--seed 20251125]
Needs (apt): chromium git-doc bash-doc sqlite3-doc gimp-help-en opencv-doc darknet, and the
fonts listed in bench/README.md. Deterministic for a given seed and set of package versions.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sources import chromium, gimp, photos, synthetic  # noqa: E402
from sources.common import Entry  # noqa: E402

HERE = Path(__file__).resolve().parent
VAL_EVERY = 4  # every 4th screenshot (sorted by file name) is "val", the rest "test"


def assign_splits(screens: list[Entry]) -> None:
    """Mark ~1/4 of the screenshots `val` (tuning), the rest `test`; photos are all `test`."""
    for i, e in enumerate(sorted(screens, key=lambda e: e.file)):
        e.split = "val" if i % VAL_EVERY == 1 else "test"


def build(out: Path, seed: int) -> dict:
    """Rebuild `out` (deleted first) and return the manifest."""
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    if out.exists():
        shutil.rmtree(out)
    screens_dir, photos_dir = out / "screens", out / "photos"
    t0 = time.time()
    screens = chromium.build(screens_dir)
    print(f"chromium: {len(screens)} in {time.time() - t0:.0f}s", flush=True)
    t = time.time()
    g = gimp.build(screens_dir, seed)
    print(f"gimp-help: {len(g)} in {time.time() - t:.0f}s", flush=True)
    t = time.time()
    s = synthetic.build(screens_dir, seed)
    print(f"synthetic: {len(s)} in {time.time() - t:.0f}s", flush=True)
    screens += g + s
    assign_splits(screens)
    t = time.time()
    ph = photos.build(photos_dir)
    print(f"photos: {len(ph)} in {time.time() - t:.0f}s; total {time.time() - t0:.0f}s")
    images = sorted(screens, key=lambda e: e.file) + sorted(ph, key=lambda e: e.file)
    return {
        "version": 1,
        "seed": seed,
        "builder": "bench/build_set.py",
        "root": "bench/data (relative paths below)",
        "counts": {
            "screens": len(screens),
            "photos": len(ph),
            "val": sum(e.split == "val" for e in screens),
        },
        "images": [e.to_json() for e in images],
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=HERE / "data")
    ap.add_argument("--seed", type=int, default=20251125)
    ap.add_argument("--manifest", type=Path, default=HERE / "set_manifest.json")
    args = ap.parse_args(argv)
    manifest = build(args.out, args.seed)
    args.manifest.write_text(json.dumps(manifest, indent=1) + "\n")
    c = manifest["counts"]
    print(f"wrote {c['screens']} screens ({c['val']} val), {c['photos']} photos -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

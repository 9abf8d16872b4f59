"""Encode and decode the sample screenshots; print sizes against PNG and text accuracy.

    .venv/bin/python scripts/demo.py [IMAGES_OR_FOLDERS...] [--out demo-out]
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_THREAD_LIMIT", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PIL import Image  # noqa: E402

from bench.metrics import text_accuracy  # noqa: E402
from picd_desktop import api  # noqa: E402
from picd_desktop.fsutil import write_atomic  # noqa: E402
from picd_desktop.verify import verify_image  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("inputs", nargs="*", default=[str(ROOT / "resources" / "samples")])
    parser.add_argument("--out", type=Path, default=ROOT / "demo-out")
    parser.add_argument("--quality", type=int, default=api.DEFAULT_QUALITY)
    args = parser.parse_args()
    paths = []
    for raw in args.inputs:
        path = Path(raw)
        paths += sorted(path.glob("*.png")) if path.is_dir() else [path]
    args.out.mkdir(parents=True, exist_ok=True)
    header = (f"{'image':28} {'size':>10} {'PNG':>9} {'.picd':>8} {'ratio':>6} {'bpp':>7} "
              f"{'text acc':>8} {'drawn ok':>9} {'enc s':>6} {'dec s':>6}")
    print(header)
    print("-" * len(header))
    for path in paths:
        original = Image.open(path).convert("RGB")
        png = io.BytesIO()
        original.save(png, "PNG", optimize=True)
        t0 = time.perf_counter()
        data = api.encode(path, quality=args.quality, meta={"source": path.name})
        t1 = time.perf_counter()
        decoded = api.decode(data)
        t2 = time.perf_counter()
        write_atomic(args.out / f"{path.stem}.picd", data, overwrite=True)
        out_png = io.BytesIO()
        decoded.save(out_png, "PNG")
        write_atomic(args.out / f"{path.stem}.decoded.png", out_png.getvalue(), overwrite=True)
        report = verify_image(decoded, api.read_text(data))
        w, h = original.size
        accuracy = text_accuracy(original, decoded)
        print(f"{path.name[:28]:28} {w:>4}x{h:<5} {png.tell():>9} {len(data):>8} "
              f"{png.tell() / len(data):>5.1f}x {8 * len(data) / (w * h):>7.4f} "
              f"{accuracy:>8.3f} {report.drawn_verified:>4}/{report.drawn_total:<4} "
              f"{t1 - t0:>6.2f} {t2 - t1:>6.2f}")
    print(f"\n.picd files and decoded PNGs are in {args.out}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Is the learned base codec's decode bit-identical on another machine (a GPU, other threads)?

    here:  python bench/learned_exact_check.py make gpukit/exact
    there: python bench/learned_exact_check.py check gpukit/exact --device cuda

`make` encodes a few of the renderer cache's screens and photos with the learned codec on this
CPU, conditioned on their glyph planes where they have them, and stores the payloads, the
condition planes and the sha256 of the decoded pixels (a few hundred KB in all). `check`
decodes every payload on `--device` with 1 and with all torch threads and compares the
pixels' sha256 with the stored ones; it also re-encodes and says whether the bitstream is the
same (the encoder need not be exact; the decoder must). Prints and writes a JSON report.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from picd_desktop.base.learned import LearnedCodec, planes_from_glyphs  # noqa: E402

QUALITIES = (1, 5)
CASES = 4  # images (each at every quality)


def _digest(image: Image.Image) -> str:
    """sha256 of the RGB pixels."""
    return hashlib.sha256(np.asarray(image.convert("RGB")).tobytes()).hexdigest()


def make(args: argparse.Namespace) -> None:
    cache = args.cache
    entries = json.loads((cache / "manifest.json").read_text())
    picks = [e for e in entries if e["domain"] == "screen"][:CASES - 1] + [
        e for e in entries if e["domain"] == "photo"][:1]
    args.dir.mkdir(parents=True, exist_ok=True)
    codec = LearnedCodec()
    cases = []
    for e in picks:
        image = Image.open(cache / f"{e['name']}.png").convert("RGB")
        image = image.crop((0, 0, min(image.width, 1024), min(image.height, 768)))
        glyph = np.asarray(Image.open(cache / f"{e['name']}.glyph.png").convert("RGBA"))
        glyph = glyph[:image.height, :image.width]
        # no text layer in the cache: word coverage stands in as the glyphs' ink
        cond = planes_from_glyphs(glyph, np.where(glyph[..., 3] > 0, 255, 0))
        np.savez_compressed(args.dir / f"{e['name']}.cond.npz", a=cond)
        image.save(args.dir / f"{e['name']}.png")
        for q in QUALITIES:
            payload = codec.encode(image, q, cond=cond)
            (args.dir / f"{e['name']}.q{q}.bin").write_bytes(payload)
            decoded = codec.decode(payload, image.size, cond=cond)
            cases.append({"name": e["name"], "quality": q, "sha256": _digest(decoded)})
    (args.dir / "cases.json").write_text(json.dumps(
        {"model": codec.card["sha256"], "made_on": "CPU", "cases": cases}, indent=1))
    print(f"{len(cases)} cases in {args.dir}")


def check(args: argparse.Namespace) -> None:
    spec = json.loads((args.dir / "cases.json").read_text())
    codec = LearnedCodec(device=args.device)
    if codec.card["sha256"] != spec["model"]:
        raise SystemExit("the stored cases were made with other weights")
    rows = []
    for threads in sorted({1, torch.get_num_threads()}):
        torch.set_num_threads(threads)
        for case in spec["cases"]:
            name, q = case["name"], case["quality"]
            with np.load(args.dir / f"{name}.cond.npz") as z:
                cond = z["a"]
            payload = (args.dir / f"{name}.q{q}.bin").read_bytes()
            image = Image.open(args.dir / f"{name}.png").convert("RGB")
            decoded = codec.decode(payload, image.size, cond=cond)
            rows.append({"name": name, "quality": q, "threads": threads,
                         "decode_identical": _digest(decoded) == case["sha256"],
                         "encode_identical": codec.encode(image, q, cond=cond) == payload})
    report = {"device": (torch.cuda.get_device_name() if args.device == "cuda" else "cpu"),
              "torch": torch.__version__,
              "all_decodes_identical": all(r["decode_identical"] for r in rows),
              "rows": rows}
    text = json.dumps(report, indent=1)
    print(text)
    if args.out:
        args.out.write_text(text)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("make")
    p.add_argument("dir", type=Path)
    p.add_argument("--cache", type=Path, default=Path("build/render_cache"))
    p.set_defaults(fn=make)
    p = sub.add_parser("check")
    p.add_argument("dir", type=Path)
    p.add_argument("--device", default="cpu")
    p.add_argument("--out", type=Path)
    p.set_defaults(fn=check)
    args = ap.parse_args(argv)
    args.fn(args)


if __name__ == "__main__":
    main()

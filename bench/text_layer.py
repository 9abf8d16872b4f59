"""Text-layer coding benchmark: `ctx-v1` vs brotli-11 and xz -9e of `serialize_raw`.

OCRs each image (picd_desktop.text.ocr.run_ocr, else pytesseract directly), turns the page into
a TextLayer with plausible line values, codes it and prints/writes a markdown table.

    OMP_THREAD_LIMIT=1 .venv/bin/python bench/text_layer.py bench/data/screens \
        --synth /tmp/picd_text_synth --out bench/results/text_layer.md
"""

from __future__ import annotations

import argparse
import lzma
import math
import os
import pickle
import subprocess
import sys
import time
from pathlib import Path

import brotli
from PIL import Image, ImageDraw, ImageFont

from picd_desktop.text.charmodel import EOW, TOTAL, TextModel, shipped_prior
from picd_desktop.text.coder import decode_layer, encode_layer, serialize_raw
from picd_desktop.text.layer import Block, Line, TextLayer, Word

os.environ.setdefault("OMP_THREAD_LIMIT", "1")
FONTS = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",
    "/usr/share/fonts/truetype/roboto/unhinted/RobotoTTF/Roboto-Regular.ttf",
    "/usr/share/fonts/truetype/open-sans/OpenSans-Regular.ttf",
    "/usr/share/fonts/truetype/firacode/FiraCode-Regular.ttf",
]


def held_out_texts() -> list[tuple[str, str]]:
    """Texts the prior never saw: held-out man pages (rendered by man) and stdlib code."""
    from picd_desktop.train.text_prior import all_man_pages, is_held_out

    pages = [p for p in all_man_pages() if is_held_out(p)][::37][:4]
    out = []
    for page in pages:
        env = {"MANWIDTH": "90", "PATH": "/usr/bin:/bin"}
        txt = subprocess.run(["man", "-l", str(page)], capture_output=True, text=True,
                             env=env, check=False).stdout
        txt = subprocess.run(["col", "-b"], input=txt, capture_output=True, text=True,
                             check=False).stdout
        out.append((page.name.split(".")[0], txt))
    for mod in ("argparse.py", "textwrap.py"):
        src = Path(sys.base_prefix, "lib", f"python{sys.version_info[0]}.{sys.version_info[1]}",
                   mod)
        if src.exists():
            out.append((mod.replace(".", "_"), src.read_text()[4000:]))
    return out


def render_synthetic(folder: Path) -> list[Path]:
    """Screenshot-like PNGs of held-out text, several fonts and sizes, light and dark."""
    folder.mkdir(parents=True, exist_ok=True)
    fonts = [f for f in FONTS if Path(f).exists()]
    paths = []
    for i, (name, text) in enumerate(held_out_texts()):
        size = (13, 15, 17, 12)[i % 4]
        font = ImageFont.truetype(fonts[i % len(fonts)], size)
        dark = i % 2 == 1
        rows = [r.rstrip() for r in text.splitlines()][: 1000 // (size + 5)]
        img = Image.new("RGB", (1200, 1000), (30, 32, 36) if dark else (255, 255, 255))
        draw = ImageDraw.Draw(img)
        for j, row in enumerate(rows):
            draw.text((16, 8 + j * (size + 5)), row.replace("\t", "    "), font=font,
                      fill=(220, 220, 220) if dark else (20, 20, 20))
        path = folder / f"synth_{name}_{'dark' if dark else 'light'}_{size}px.png"
        img.save(path)
        paths.append(path)
    return paths


def ocr_layer(path: Path) -> TextLayer:
    """OCR an image into a TextLayer (font 0, size from the line box, drawn = confident)."""
    img = Image.open(path).convert("RGB")
    try:
        from picd_desktop.text.ocr import run_ocr
    except ImportError:
        return _pytesseract_layer(img)
    page = run_ocr(img)
    blocks = []
    for ob in page.blocks:
        lines = []
        for ol in ob.lines:
            x0, y0, x1, y1 = ol.box
            size = max(1, min(1024, (y1 - y0) * 3 // 4))
            words = tuple(Word(w.text, w.box[0], w.box[2], w.conf >= 80) for w in ol.words
                          if w.text and "\0" not in w.text)
            if words:
                lines.append(Line(y0, y1, min(65535, max(0, ol.baseline)), 0, size,
                                  tuple(ol.fg), tuple(ol.bg), words))
        if lines:
            blocks.append(Block(tuple(lines)))
    return TextLayer(page.width, page.height, page.lang, tuple(blocks))


def cached_ocr_layer(path: Path, cache: Path | None) -> TextLayer:
    """`ocr_layer`, remembered in `cache` (keyed by file name, size and mtime)."""
    if cache is None:
        return ocr_layer(path)
    st = path.stat()
    key = cache / f"{path.stem}-{st.st_size}-{int(st.st_mtime)}.pkl"
    if key.exists():
        return pickle.loads(key.read_bytes())
    layer = ocr_layer(path)
    cache.mkdir(parents=True, exist_ok=True)
    key.write_bytes(pickle.dumps(layer))
    return layer


def _pytesseract_layer(img: Image.Image) -> TextLayer:
    import pytesseract

    d = pytesseract.image_to_data(img, output_type=pytesseract.Output.DICT)
    groups: dict[tuple[int, int, int], list[int]] = {}
    for i, text in enumerate(d["text"]):
        if text.strip():
            groups.setdefault((d["block_num"][i], d["par_num"][i], d["line_num"][i]), []).append(i)
    blocks: dict[tuple[int, int], list[Line]] = {}
    for (b, p, _), idx in groups.items():
        y0 = min(d["top"][i] for i in idx)
        y1 = max(d["top"][i] + d["height"][i] for i in idx)
        words = tuple(Word(d["text"][i].strip(), d["left"][i], d["left"][i] + d["width"][i],
                           float(d["conf"][i]) >= 80) for i in idx)
        size = max(1, (y1 - y0) * 3 // 4)
        blocks.setdefault((b, p), []).append(
            Line(y0, y1, y0 + size, 0, size, (0, 0, 0), (255, 255, 255), words))
    return TextLayer(img.width, img.height, "eng",
                     tuple(Block(tuple(v)) for v in blocks.values()))


def text_bits(layer: TextLayer) -> float:
    """Ideal code length of the text symbols under the coder's context model, in bits."""
    model = TextModel(shipped_prior())
    bits = 0.0
    for line in layer.lines():
        for i, word in enumerate(line.words):
            raw = word.text.encode("utf-8") + bytes([EOW])
            for b in raw:
                bits -= math.log2(int(model.freqs()[b]) / TOTAL)
                model.update(b, b if b != EOW else 0x0A if i + 1 == len(line.words) else 0x20)
    return bits


def measure(name: str, layer: TextLayer) -> dict:
    raw = serialize_raw(layer)
    t0 = time.process_time()
    coded = encode_layer(layer)
    t1 = time.process_time()
    assert decode_layer(coded) == layer, f"round trip failed for {name}"
    t2 = time.process_time()
    text_part = round(text_bits(layer) / 8)
    chars = sum(len(w.text) for _, w in layer.words())
    return {"file": name, "words": layer.word_count, "chars": chars, "raw": len(raw),
            "brotli": len(brotli.compress(raw, quality=11, lgwin=24)),
            "xz": len(lzma.compress(raw, preset=9 | lzma.PRESET_EXTREME)),
            "ours": len(coded), "text": text_part, "geom": len(coded) - text_part,
            "bpc": 8 * text_part / max(1, chars), "enc_s": t1 - t0, "dec_s": t2 - t1}


NOTES = """
Notes: layers come from OCR (`run_ocr`, font 0, size = 3/4 of the line box, drawn = conf >= 80).
raw = `serialize_raw`; brotli quality 11 / lgwin 24; xz = lzma preset 9|EXTREME. text B = ideal
code length of the text symbols (word bytes + end-of-word) under the context model; geom B =
ours - text B (structure, geometry, colours, flags and the coder's 32-bit word padding).
text bpc = 8 * text B / characters. Times are process CPU seconds on a shared 2-core machine
under heavy load (noisy); the prior load (~0.3 s, once per process) is not included.
synth_* rows without a date are held-out man pages / stdlib code rendered by `--synth`.
"""


def table(rows: list[dict], command: str) -> str:
    head = ("| file | words | chars | raw B | brotli-11 B | xz-9e B | ours B | ours/brotli | "
            "ours/xz | text B | geom B | text bpc | enc CPU s | dec CPU s |")
    out = [f"Command: `{command}`", "", head, "|" + "---|" * 14]
    for r in rows:
        out.append(f"| {r['file']} | {r['words']} | {r['chars']} | {r['raw']} | {r['brotli']} | "
                   f"{r['xz']} | {r['ours']} | {r['ours'] / r['brotli']:.3f} | "
                   f"{r['ours'] / r['xz']:.3f} | {r['text']} | {r['geom']} | {r['bpc']:.2f} | "
                   f"{r['enc_s']:.3f} | {r['dec_s']:.3f} |")
    tot = {k: sum(r[k] for r in rows) for k in ("words", "chars", "raw", "brotli", "xz", "ours",
                                                 "text", "geom", "enc_s", "dec_s")}
    if rows:
        out.append(f"| **total** | {tot['words']} | {tot['chars']} | {tot['raw']} | "
                   f"{tot['brotli']} | {tot['xz']} | {tot['ours']} | "
                   f"{tot['ours'] / tot['brotli']:.3f} | {tot['ours'] / tot['xz']:.3f} | "
                   f"{tot['text']} | {tot['geom']} | {8 * tot['text'] / tot['chars']:.2f} | "
                   f"{tot['enc_s']:.2f} | {tot['dec_s']:.2f} |")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folders", nargs="*", type=Path, help="folders of PNG/JPEG images")
    ap.add_argument("--synth", type=Path, help="also render held-out text into PNGs here")
    ap.add_argument("--out", type=Path, help="write the markdown table here")
    ap.add_argument("--cache", type=Path, help="keep OCR results (pickled layers) here")
    args = ap.parse_args(argv)
    images = [p for f in args.folders for p in sorted(f.iterdir())
              if p.suffix.lower() in (".png", ".jpg", ".jpeg", ".webp")]
    if args.synth:
        images += render_synthetic(args.synth)
    rows = []
    for path in images:
        layer = cached_ocr_layer(path, args.cache)
        if layer.word_count == 0:
            continue
        rows.append(measure(path.stem, layer))
        print(rows[-1], flush=True)
    cmd = "OMP_THREAD_LIMIT=1 .venv/bin/python bench/text_layer.py " + " ".join(
        argv if argv is not None else sys.argv[1:])
    md = table(rows, cmd)
    print(md)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text("# Text layer coding (ctx-v1)\n\n" + md + NOTES)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Probe of the composite path: text accuracy and drawn-word read-back through a simulated codec.

    .venv/bin/python bench/composite_probe.py [--split val] [--limit 11] [--corrupt]
        [--per-line] [--images a.png ...]

Images: bench/data/screens/*.png when present, else synthetic UI screenshots rendered here (light
and dark, 13-16 px, shipped and unshipped fonts) plus GIMP help screenshots (gimp-help-en).
Base: --base classic uses picd_desktop.base.classic.ClassicCodec (with the ROI of undrawn
words); --base sim (default) a 4x downscale + AVIF + bicubic upsample, with ROI boxes coded
by a second AVIF at 2x. Timings are on a shared 2-core
machine: noisy.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import sys
import time
import zlib
from collections import Counter
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
import pytesseract
from PIL import Image, ImageDraw, ImageFont

from picd_desktop.render.composite import CompositeRenderer
from picd_desktop.text.fit import (
    FitConfig,
    blob_limit,
    blob_reference,
    build_layer,
    check_word,
    decide_line,
    measure_line,
    passes,
)
from picd_desktop.text.glyphs import draw_glyphs
from picd_desktop.text.layer import Word
from picd_desktop.text.ocr import run_ocr
from picd_desktop.text.ocr_types import OcrPage

os.environ["OMP_THREAD_LIMIT"] = "1"
ROOT = Path(__file__).resolve().parent.parent
SYS_FONTS = Path("/usr/share/fonts/truetype")
GIMP = Path("/usr/share/gimp/2.0/help/en/images")
GIMP_PICKS = [
    "preferences/prefs-interface.png",
    "preferences/prefs-system-resources.png",
    "menus/file/save-as.png",
    "menus/image/metadata-editor-dialog.png",
]
BODY_FONTS = [
    "dejavu/DejaVuSans.ttf",
    "liberation2/LiberationSans-Regular.ttf",
    "open-sans/OpenSans-Regular.ttf",
    "roboto/unhinted/RobotoTTF/Roboto-Regular.ttf",
    "dejavu/DejaVuSansCondensed.ttf",  # not shipped
    "roboto/unhinted/RobotoCondensed-Regular.ttf",  # not shipped
    "liberation2/LiberationSerif-Regular.ttf",
]
MONO_FONTS = ["hack/Hack-Regular.ttf", "firacode/FiraCode-Regular.ttf", "noto/NotoMono-Regular.ttf",
              "dejavu/DejaVuSansMono.ttf", "liberation2/LiberationMono-Regular.ttf"]
WORDS = [
    'File', 'Edit', 'View', 'Selection', 'Go', 'Run', 'Terminal', 'Help', 'Settings',
    'Preferences', 'Open', 'Recent', 'Save', 'Close', 'Window', 'Explorer', 'Search', 'Source',
    'Control', 'Extensions', 'Debug', 'Console', 'Output', 'Problems', 'project', 'release',
    'notes', 'version', 'update', 'install', 'package', 'module', 'function', 'return', 'value',
    'error', 'warning', 'info', 'message', 'network', 'proxy', 'server', 'client', 'request',
    'response', 'status', 'timeout', 'retry', 'connection', 'database', 'query', 'table',
    'column', 'index', 'user', 'account', 'password', 'email', 'profile', 'Cancel', 'Apply',
    'OK', 'Next', 'Back', 'Finish', 'Delete', 'Rename', 'Copy', 'Paste', 'Undo', 'Redo', 'Zoom',
    'Fit', 'Export', 'Import', 'Share', 'Upload', 'Download', 'Refresh', 'Sync', 'Dashboard',
    'Overview', 'Reports', 'Analytics', 'Billing', 'the', 'of', 'and', 'to', 'in', 'is', 'for',
    'on', 'with', 'by', 'from', 'at', 'as', 'this', 'that', 'be', 'are', 'was', 'it', 'an', 'or',
    'not', 'screenshot', 'compression', 'layer', 'image', 'text', 'render', 'decoder', 'encoder',
    'quality', 'bitrate', 'pixel', 'configure', 'changes', 'pending', 'branch', 'commit',
    'merge', 'rebase', 'pull', 'push', 'origin', 'main', 'develop', '3.1', '2.0.1', 'v1.4',
    '12:45', '2024-05-17', '42%', '1,024', '0.75', '#8', '(beta)', '[draft]', 'user@example.com',
    'reversed()', 'len(items)', 'self.config', 'main.py', 'utils/io.py', '--force', '-v',
    'README.md', 'TODO:', 'e.g.', 'i.e.',
]
CODE = [
    "def load(path: str) -> dict:", "    with open(path) as fh:", "        return json.load(fh)",
    "for item in reversed(items):", "    total += item.size * 3.1", "print(f\"done {total}\")",
    "if __name__ == \"__main__\":", "    main(sys.argv[1:])",
]


def _sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def synth_screen(seed: int, size: tuple[int, int] = (1280, 800)) -> tuple[Image.Image, list]:
    """A UI-like screenshot and its ground-truth words [(text, box)]."""
    rng = random.Random(seed)
    dark = seed % 2 == 1
    body = BODY_FONTS[seed % len(BODY_FONTS)]
    mono = MONO_FONTS[seed % len(MONO_FONTS)]
    px = 13 + seed % 4
    bg, fg = ((30, 30, 30), (212, 212, 212)) if dark else ((255, 255, 255), (33, 33, 33))
    side_bg = (37, 37, 38) if dark else (243, 243, 243)
    title_bg = (60, 60, 60) if dark else (221, 221, 221)
    img = Image.new("RGB", size, bg)
    d = ImageDraw.Draw(img)
    f = ImageFont.truetype(str(SYS_FONTS / body), px)
    fb = ImageFont.truetype(str(SYS_FONTS / mono), px)
    gt: list = []

    def text(x: int, y: int, s: str, font: ImageFont.FreeTypeFont, colour) -> int:
        for word in s.split(" "):
            if word:
                box = d.textbbox((x, y), word, font=font)
                d.text((x, y), word, font=font, fill=colour)
                gt.append((word, box))
            x += font.getlength(word + " ")
        return int(x)

    w, h = size
    d.rectangle((0, 0, w, 30), fill=title_bg)
    x = 10
    for item in ["File", "Edit", "View", "Selection", "Go", "Run", "Help"]:
        x = text(x, 8, item, f, fg) + 12
    d.rectangle((0, 31, 240, h), fill=side_bg)
    y = 45
    for _ in range(18):
        text(16, y, _sentence(rng, rng.randint(1, 3)), f, fg)
        y += int(px * 1.8)
    y = 50
    for _ in range(9):
        text(260, y, _sentence(rng, rng.randint(6, 12)), f, fg)
        y += int(px * 1.6)
    y += 10
    code_bg = (24, 24, 24) if dark else (246, 248, 250)
    d.rectangle((256, y - 6, w - 20, y + len(CODE) * int(px * 1.5) + 4), fill=code_bg)
    for line in CODE:
        text(270, y, line, fb, fg)
        y += int(px * 1.5)
    y += 20
    for _r in range(6):  # a table with rules crossing the rows
        d.line((256, y - 4, w - 20, y - 4), fill=(90, 90, 90) if dark else (200, 200, 200))
        for c in range(4):
            text(266 + c * 240, y, _sentence(rng, rng.randint(1, 2)), f, fg)
        y += int(px * 1.9)
    for i, label in enumerate(["Cancel", "Apply", "OK"]):  # buttons
        bx = w - 330 + i * 105
        d.rectangle((bx, h - 50, bx + 95, h - 20), fill=(0, 95, 184))
        text(bx + 14, h - 43, label, f, (255, 255, 255))
    return img, gt


def plain_words(image: Image.Image, min_conf: float = -1.0, min_len: int = 1) -> Counter:
    data = pytesseract.image_to_data(image, output_type=pytesseract.Output.DICT)
    return Counter(
        t for t, c in zip(data["text"], data["conf"], strict=True)
        if t.strip() and float(c) >= min_conf and len(t.strip()) >= min_len
    )


def simulate_base(image: Image.Image, roi: list, quality: int) -> tuple[Image.Image, int]:
    """4x downscale + AVIF + bicubic upsample; ROI boxes from a 2x AVIF of their crops."""
    w, h = image.size
    small = image.resize((max(w // 4, 1), max(h // 4, 1)), Image.Resampling.BOX)
    buf = io.BytesIO()
    small.save(buf, "AVIF", quality=quality)
    nbytes = buf.tell()
    out = Image.open(io.BytesIO(buf.getvalue())).convert("RGB").resize((w, h), Image.BICUBIC)
    if roi:
        mask = Image.new("L", (w, h), 0)
        md = ImageDraw.Draw(mask)
        for x0, y0, x1, y1 in roi:
            md.rectangle((x0 - 2, y0 - 2, x1 + 1, y1 + 1), fill=255)
        half = Image.composite(image, out, mask)
        half = half.resize((w // 2, h // 2), Image.Resampling.BOX)
        buf2 = io.BytesIO()
        half.save(buf2, "AVIF", quality=quality + 25)
        nbytes += buf2.tell()
        up = Image.open(io.BytesIO(buf2.getvalue())).convert("RGB").resize((w, h), Image.BICUBIC)
        out = Image.composite(up, out, mask)
    return out, nbytes


def layer_bytes(layer) -> int:
    """A rough size of the coded text layer (zlib of a compact JSON), for the bpp estimate."""
    rows = [[ln.y0, ln.y1, ln.baseline, ln.font_id, ln.font_size, ln.fg, ln.bg,
             [[w.text, w.x0, w.x1, int(w.drawn)] for w in ln.words]] for ln in layer.lines()]
    return len(zlib.compress(json.dumps(rows, separators=(",", ":")).encode(), 9))


def corrupt(text: str, rng: random.Random) -> str:
    """One plausible OCR error: a dropped '.', a changed or dropped letter."""
    if "." in text[1:-1] and rng.random() < 0.5:
        i = text.index(".", 1)
        return text[:i] + text[i + 1 :]
    i = rng.randrange(len(text))
    if len(text) > 3 and rng.random() < 0.3:
        return text[:i] + text[i + 1 :]
    subs = {"r": "x", "l": "1", "o": "0", "e": "c", "i": "l", "n": "m", "s": "5", "t": "f",
            "a": "o", "u": "v", "c": "e", "m": "rn", "1": "l", "0": "o", "h": "b"}
    ch = text[i]
    new = subs.get(ch.lower(), "x" if ch != "x" else "y")
    return text[:i] + new + text[i + 1 :]


def calibrate(image: Image.Image, page: OcrPage, cfg: FitConfig, rng: random.Random) -> dict:
    """Pass rates of the OCR'd words and of corrupted copies of them (one error each)."""
    arr = np.asarray(image.convert("RGB"))
    measured = [measure_line(arr, ol, cfg) for ol in page.lines() if ol.words]
    page_ref = blob_reference([c for _, cs in measured for c in cs])
    ok = bad = n_ok = n_bad = 0
    examples: list[str] = []
    for line, checks in measured:
        limit = blob_limit(cfg, blob_reference(checks) or page_ref)
        decided = decide_line(line, checks, cfg, page_ref)
        for word, ch in zip(decided.words, checks, strict=True):
            if not ch.drawable or len(word.text) < 2:
                continue
            n_ok += 1
            ok += word.drawn
            wrong = Word(corrupt(word.text, rng), word.x0, word.x1)
            c2 = check_word(arr, line, wrong, ch.conf, True, cfg.blur_sigma,
                            (cfg.max_blob_exact, cfg.max_blob), cfg)
            n_bad += 1
            if passes(c2, wrong, cfg, limit):
                bad += 1
                examples.append(f"{wrong.text} (is {word.text})")
    return {"correct_pass": ok / max(n_ok, 1), "corrupt_pass": bad / max(n_bad, 1), "n": n_ok,
            "corrupt_passed": examples[:5]}


def drawn_wrong(layer, gt: list) -> tuple[int, list]:
    """Drawn words whose text differs from the ground-truth word they overlap (synthetic only)."""
    wrong = []
    for line, w in layer.words():
        if not w.drawn:
            continue
        cx, cy = (w.x0 + w.x1) / 2, (line.y0 + line.y1) / 2
        hits = [t for t, (a, b, c, e) in gt if a <= cx <= c and b - 2 <= cy <= e + 2]
        if w.text not in hits:
            wrong.append((w.text, hits[:2]))
    return len(wrong), wrong


def _truth(png: Path) -> list | None:
    """Ground-truth words [(text, box)] from a `<name>.truth.json` beside the image."""
    path = png.with_suffix(".truth.json")
    if not path.exists():
        return None
    return [(w["text"], tuple(w["box"])) for w in json.loads(path.read_text())["words"]]


def load_images(args) -> list[tuple[str, Image.Image, list | None]]:
    if args.images:
        return [(p, Image.open(p).convert("RGB"), _truth(Path(p))) for p in args.images]
    screens = sorted((ROOT / "bench/data/screens").glob("*.png"))
    if args.split != "all":
        manifest = json.loads((ROOT / "bench/set_manifest.json").read_text())["images"]
        names = {Path(i["file"]).name for i in manifest if i.get("split") == args.split}
        screens = [p for p in screens if p.name in names]
    if screens and not args.synthetic:
        return [(p.name, Image.open(p).convert("RGB"), _truth(p)) for p in screens[: args.limit]]
    out = []
    for seed in range(args.limit):
        img, gt = synth_screen(seed)
        out.append((f"synth{seed}", img, gt))
    for rel in GIMP_PICKS:
        if (GIMP / rel).exists():
            out.append((rel, Image.open(GIMP / rel).convert("RGB"), None))
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", nargs="*")
    ap.add_argument("--synthetic", action="store_true")
    ap.add_argument("--limit", type=int, default=6)
    ap.add_argument("--split", default="val", help="val, test or all (bench/set_manifest.json)")
    ap.add_argument("--per-line", action="store_true")
    ap.add_argument("--quality", type=int, default=30, help="AVIF quality of the simulation")
    ap.add_argument("--base", choices=["sim", "classic"], default="sim")
    ap.add_argument("--base-quality", type=float, default=2.0, help="ClassicCodec quality")
    ap.add_argument("--corrupt", action="store_true", help="measure verification pass rates")
    ap.add_argument("--set", nargs="*", default=[], help="FitConfig overrides k=v")
    ap.add_argument("--out", default=str(ROOT / "bench/results/composite_probe.json"))
    args = ap.parse_args()
    cfg = FitConfig(per_line=args.per_line)
    for kv in args.set:
        k, v = kv.split("=")
        cfg = replace(cfg, **{k: type(getattr(cfg, k))(v)})
    rng = random.Random(0)
    rows = []
    tot = Counter()
    for name, img, gt in load_images(args):
        page = run_ocr(img)
        t0 = time.perf_counter()
        layer, cleaned, roi = build_layer(img, page, cfg)
        t_build = time.perf_counter() - t0
        if args.base == "classic":
            from picd_desktop.base.classic import ClassicCodec

            codec = ClassicCodec()
            data = codec.encode(cleaned, args.base_quality, roi)
            base, nbytes = codec.decode(data, cleaned.size), len(data)
        else:
            base, nbytes = simulate_base(cleaned, roi, args.quality)
        t0 = time.perf_counter()
        out = CompositeRenderer().render(base, draw_glyphs(layer), layer)
        t_render = time.perf_counter() - t0
        tbytes = layer_bytes(layer)
        ref = plain_words(img, 60, 2)
        dec = plain_words(out)
        found = sum((ref & dec).values())
        drawn = Counter(w.text for _, w in layer.words() if w.drawn)
        back = sum((drawn & dec).values())
        npx = img.width * img.height
        row = {
            "image": name, "size": img.size, "bpp_base": 8 * nbytes / npx,
            "bpp_text": 8 * tbytes / npx, "accuracy": found / max(sum(ref.values()), 1),
            "ref_words": sum(ref.values()), "words": layer.word_count,
            "drawn": sum(drawn.values()), "readback": back / max(sum(drawn.values()), 1),
            "t_build": t_build, "t_render": t_render,
        }
        row["not_read_back"] = sorted((drawn - dec).elements())[:8]
        if gt is not None:
            row["drawn_wrong"], examples = drawn_wrong(layer, gt)
            row["wrong_examples"] = examples[:5]
        if args.corrupt:
            row.update(calibrate(img, page, cfg, rng))
        rows.append(row)
        for k in ("ref_words", "drawn"):
            tot[k] += row[k]
        tot["found"] += found
        tot["back"] += back
        tot["drawn_wrong"] += row.get("drawn_wrong", 0)
        print(json.dumps({k: (round(v, 4) if isinstance(v, float) else v)
                          for k, v in row.items()}), flush=True)
        if os.environ.get("PROBE_SAVE"):
            out.save(f"/tmp/probe_{Path(name).stem}.png")
            cleaned.save(f"/tmp/probe_{Path(name).stem}_clean.png")
    summary = {"accuracy": tot["found"] / max(tot["ref_words"], 1),
               "readback": tot["back"] / max(tot["drawn"], 1),
               "drawn_frac_of_ref": tot["drawn"] / max(tot["ref_words"], 1),
               "drawn_wrong": tot["drawn_wrong"], "config": asdict(cfg)}
    print(json.dumps(summary))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"rows": rows, "summary": summary}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

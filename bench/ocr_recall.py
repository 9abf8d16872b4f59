"""OCR recall/precision/speed of the variants of picd_desktop.text.ocr on screenshots.

Uses bench/data/screens/*.png that have a `<name>.truth.json` (words + boxes); without them
(or with --synthetic) it renders its own seeded UI screenshots with known words.

    .venv/bin/python bench/ocr_recall.py [--synthetic N] [--variants a,b] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from picd_desktop.text.ocr import OcrOptions, run_ocr

os.environ["OMP_THREAD_LIMIT"] = "1"
ROOT = Path(__file__).resolve().parents[1]
SCREENS = ROOT / "bench/data/screens"
FONTS = Path("/usr/share/fonts/truetype")
SANS = [FONTS / "dejavu/DejaVuSans.ttf", FONTS / "liberation2/LiberationSans-Regular.ttf"]
BOLD = [FONTS / "dejavu/DejaVuSans-Bold.ttf", FONTS / "liberation2/LiberationSans-Bold.ttf"]
MONO = [FONTS / "dejavu/DejaVuSansMono.ttf", FONTS / "liberation2/LiberationMono-Regular.ttf"]
SERIF = [FONTS / "liberation2/LiberationSerif-Regular.ttf", FONTS / "dejavu/DejaVuSerif.ttf"]
_VOCAB_TEXT = (
    "file edit view selection go run terminal help settings preferences network display sound "
    "account privacy security update install remove search open save close window project "
    "folder explorer source control extensions debug console output problems branch commit "
    "merge request review changes staged message author date version release notes build "
    "test coverage report summary total items selected inbox drafts sent archive spam trash "
    "meeting tomorrow agenda budget quarter revenue profit customer order invoice payment "
    "status pending approved rejected download upload share export import print format font "
    "size colour theme dark light system language keyboard mouse battery power storage memory "
    "processor graphics driver device bluetooth wireless connected disconnected available "
    "the of and to in is for with on that this from by at as are be it or an was which "
    "compression screenshot image quality lossless decoder encoder layer text render "
    "python module function return value error warning config options manager service"
)
VOCAB = _VOCAB_TEXT.split(" ")
Truth = list[tuple[str, tuple[int, int, int, int]]]


def _font(paths: list[Path], size: int, rng: random.Random) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(rng.choice(paths)), size)


def _words(rng: random.Random, n: int) -> list[str]:
    out = []
    for _ in range(n):
        r = rng.random()
        if r < 0.08:
            out.append(str(rng.randint(2, 99999)))
        elif r < 0.12:
            out.append(f"{rng.choice(VOCAB)}_{rng.choice(VOCAB)}.py")
        elif r < 0.2:
            out.append(rng.choice(VOCAB).capitalize())
        else:
            out.append(rng.choice(VOCAB))
    return out


class Canvas:
    def __init__(self, size: tuple[int, int], bg: tuple[int, int, int]) -> None:
        self.image = Image.new("RGB", size, bg)
        self.draw = ImageDraw.Draw(self.image)
        self.truth: Truth = []

    def line(self, x: int, base: int, words: list[str], font, fill, max_x: int) -> int:
        """Draw words from x on the baseline until max_x; returns how many were drawn."""
        space = font.getlength(" ")
        n = 0
        for word in words:
            wl = font.getlength(word)
            if x + wl > max_x:
                break
            self.draw.text((x, base), word, font=font, fill=fill, anchor="ls")
            self.truth.append((word, self.draw.textbbox((x, base), word, font=font, anchor="ls")))
            x += wl + space
            n += 1
        return n


def make_screen(seed: int, size: tuple[int, int] = (1280, 800)) -> tuple[Image.Image, Truth]:
    """A seeded UI screenshot (title bar, sidebar, text, code, buttons, table, status bar)."""
    rng = random.Random(seed)
    dark = seed % 2 == 1
    w, h = size
    page_bg, page_fg = ((30, 30, 30), (212, 212, 212)) if dark else ((255, 255, 255), (33, 33, 33))
    c = Canvas(size, page_bg)
    # Title bar
    tb = rng.choice([(60, 60, 60), (221, 221, 221), (30, 111, 217), (43, 43, 43)])
    tfg = (240, 240, 240) if sum(tb) < 400 else (30, 30, 30)
    c.draw.rectangle((0, 0, w, 30), fill=tb)
    c.line(12, 20, _words(rng, 6), _font(SANS, 13, rng), tfg, w - 10)
    # Sidebar
    sw = rng.choice([200, 240])
    sbg = (37, 37, 38) if dark else (243, 243, 243)
    sfg = (204, 204, 204) if dark else (60, 60, 60)
    c.draw.rectangle((0, 30, sw, h - 22), fill=sbg)
    c.draw.line((sw, 30, sw, h - 22), fill=(80, 80, 80) if dark else (200, 200, 200))
    y = 58
    while y < h - 40:
        if rng.random() < 0.12:
            c.draw.rectangle(
                (0, y - 15, sw - 1, y + 6), fill=(9, 71, 113) if dark else (204, 232, 255)
            )
        c.line(
            16 + rng.choice([0, 12]),
            y,
            _words(rng, rng.randint(1, 3)),
            _font(SANS, 13, rng),
            sfg,
            sw - 8,
        )
        y += 22
    # Main: heading + paragraphs
    mx, mw = sw + 24, w - sw - 48
    y = 74
    c.line(mx, y, _words(rng, 5), _font(BOLD, rng.choice([20, 24, 28]), rng), page_fg, mx + mw)
    y += 20
    body = _font(rng.choice([SANS, SERIF]), rng.choice([13, 14, 15, 16]), rng)
    for _ in range(rng.randint(2, 4)):
        for _ in range(rng.randint(2, 4)):
            y += int(body.size * 1.5)
            c.line(mx, y, _words(rng, 30), body, page_fg, mx + mw)
        y += 10
    # Code block
    y += 16
    cbg = (40, 44, 52) if dark or rng.random() < 0.5 else (246, 248, 250)
    code_h = 6 * 20 + 16
    c.draw.rectangle((mx, y, mx + mw, y + code_h), fill=cbg)
    colours = [(198, 120, 221), (97, 175, 239), (152, 195, 121), (229, 192, 123), (171, 178, 191)]
    if sum(cbg) > 400:
        colours = [(215, 58, 73), (0, 92, 197), (34, 134, 58), (111, 66, 193), (36, 41, 46)]
    mono = _font(MONO, 13, rng)
    for i in range(6):
        words = _words(rng, rng.randint(2, 6))
        x = mx + 12 + 4 * 8 * rng.randint(0, 2)
        for word in words:
            c.line(int(x), y + 22 + 20 * i, [word], mono, rng.choice(colours), mx + mw)
            x += mono.getlength(word + " ")
    y += code_h + 20
    # Buttons
    x = mx
    for bcol in [(14, 99, 156), (46, 160, 67), (215, 58, 73), None]:
        word = rng.choice(VOCAB).capitalize()
        bf = _font(SANS, 13, rng)
        bw = int(bf.getlength(word)) + 32
        if bcol is None:
            c.draw.rounded_rectangle((x, y, x + bw, y + 28), 4, outline=page_fg, fill=page_bg)
            fill = page_fg
        else:
            c.draw.rounded_rectangle((x, y, x + bw, y + 28), 4, fill=bcol)
            fill = (255, 255, 255)
        c.line(x + 16, y + 19, [word], bf, fill, x + bw)
        x += bw + 12
    y += 50
    # Table
    tf = _font(SANS, 13, rng)
    cols = [mx, mx + 180, mx + 330, mx + 460]
    for r in range(6):
        if y > h - 50:
            break
        if r % 2 == 0:
            c.draw.rectangle(
                (mx, y - 15, mx + mw, y + 6), fill=(45, 45, 48) if dark else (246, 246, 246)
            )
        for ci, cx in enumerate(cols):
            words = [str(rng.randint(1, 9999))] if ci > 0 else _words(rng, 2)
            c.line(cx + 6, y, words, tf, page_fg, cx + 170)
        y += 22
    # Photo-like patch without text (top right) if room
    if w > 1100:
        noise = np.random.default_rng(seed).integers(0, 255, (16, 24, 3), dtype=np.uint8)
        patch = Image.fromarray(noise).resize((240, 160), Image.BICUBIC)
        py = y - 200 if y > 400 else h - 220
        c.image.paste(patch, (w - 264, py))
        c.truth = [t for t in c.truth if not _overlap(t[1], (w - 264, py, w - 24, py + 160))]
    # Status bar
    c.draw.rectangle((0, h - 22, w, h), fill=(0, 122, 204))
    c.line(10, h - 7, _words(rng, 8), _font(SANS, 12, rng), (255, 255, 255), w - 10)
    return c.image, c.truth


def _overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def load_truth(path: Path) -> Truth:
    """Read `<name>.truth.json`: a list of words, or {"words": [...]}; word = {text, box}."""
    data = json.loads(path.read_text())
    items = data.get("words", data) if isinstance(data, dict) else data
    out: Truth = []
    for it in items:
        if isinstance(it, dict):
            text = it.get("text") or it.get("word")
            box = it.get("box") or it.get("bbox")
        else:
            text, box = it[0], it[1]
        out.append((str(text), tuple(int(v) for v in box)))
    return out


def score(truth: Truth, found: list[tuple[str, tuple[int, int, int, int]]]) -> tuple[int, int]:
    """Matches: same text and overlapping boxes, one-to-one. Returns (matched, len(found))."""
    used = [False] * len(truth)
    matched = 0
    for text, box in found:
        for i, (t, tb) in enumerate(truth):
            if not used[i] and t == text and _overlap(box, tb):
                used[i] = True
                matched += 1
                break
    return matched, len(found)


@dataclass(frozen=True)
class Variant:
    name: str
    options: OcrOptions
    upscale: int


def _strips(**kw) -> OcrOptions:
    """The older layout: whole-width strips, all at the same upscale."""
    return OcrOptions(layout="strips", **kw)


VARIANTS = [
    Variant("plain 1x psm3 (gray)", _strips(prep="gray", psm=3, strips=1), 1),
    Variant("2x psm3 gray", _strips(prep="gray", psm=3, strips=1), 2),
    Variant("2x psm3 gray+inverted", _strips(prep="gray+inv", psm=3, strips=1), 2),
    Variant("2x psm3 norm", _strips(prep="norm", psm=3, strips=1), 2),
    Variant("2x psm6 norm", _strips(prep="norm", psm=6, strips=1), 2),
    Variant("2x psm11 norm", _strips(prep="norm", psm=11, strips=1), 2),
    Variant("2x psm3 norm 2 strips", _strips(prep="norm", psm=3, strips=2), 2),
    Variant("2x psm11 norm 2 strips", _strips(prep="norm", psm=11, strips=2), 2),
    Variant("2x psm6 norm 2 strips", _strips(prep="norm", psm=6, strips=2), 2),
    Variant("2x psm11 norm 2 strips dpi144", _strips(prep="norm", psm=11, strips=2, dpi=144), 2),
    Variant("old default: strips 2x psm11", OcrOptions(layout="strips"), 2),
    Variant("bands all 2x", OcrOptions(big_text=10**6), 2),
    Variant("bands big>=10", OcrOptions(big_text=10), 2),
    Variant("bands all 1x", OcrOptions(big_text=0), 2),
    Variant("bands big>=8", OcrOptions(big_text=8), 2),
    Variant("bands big>=14", OcrOptions(big_text=14), 2),
    Variant("bands 3 mosaics", OcrOptions(strips=3), 2),
    Variant("default (run_ocr())", OcrOptions(), 2),
]


def _child_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def _split_of() -> dict[str, str]:
    manifest = ROOT / "bench/set_manifest.json"
    if not manifest.exists():
        return {}
    images = json.loads(manifest.read_text()).get("images", [])
    return {Path(i["file"]).name: i.get("split", "") for i in images}


def dataset(
    n_synth: int, force_synth: bool, split: str = "", add_synth: bool = False
) -> list[tuple[str, Image.Image, Truth]]:
    items = []
    splits = _split_of()
    if not force_synth and SCREENS.is_dir():
        for tj in sorted(SCREENS.glob("*.truth.json")):
            png = tj.with_name(tj.name.removesuffix(".truth.json") + ".png")
            if split and splits.get(png.name) != split:
                continue
            if png.exists():
                items.append((png.name, Image.open(png).convert("RGB"), load_truth(tj)))
    if not items or add_synth:
        sizes = [(1280, 800), (1920, 1080), (1024, 700)]
        for s in range(n_synth):
            img, truth = make_screen(s, sizes[s % len(sizes)])
            items.append((f"synth{s}", img, truth))
    return items


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--synthetic", type=int, default=6, help="rendered screens if no truth set")
    ap.add_argument("--force-synthetic", action="store_true")
    ap.add_argument("--split", default="", help="only screens of this manifest split (val)")
    ap.add_argument("--add-synthetic", action="store_true", help="add the rendered screens")
    ap.add_argument("--every", type=int, default=1, help="use every N-th image (faster)")
    ap.add_argument("--variants", default="", help="comma-separated substrings of variant names")
    ap.add_argument("--min-conf", type=float, default=0.0, help="count words with conf >= this")
    ap.add_argument("--out", type=Path, default=ROOT / "bench/results/ocr_recall.md")
    ap.add_argument("--save-synthetic", type=Path, help="write the rendered set here and exit")
    args = ap.parse_args(argv)
    items = dataset(args.synthetic, args.force_synthetic, args.split, args.add_synthetic)
    items = items[:: args.every]
    if args.save_synthetic:
        args.save_synthetic.mkdir(parents=True, exist_ok=True)
        for name, img, truth in items:
            img.save(args.save_synthetic / f"{name}.png")
            (args.save_synthetic / f"{name}.truth.json").write_text(
                json.dumps({"words": [{"text": t, "box": list(b)} for t, b in truth]})
            )
        return
    wanted = [
        v
        for v in VARIANTS
        if not args.variants or any(s.strip() in v.name for s in args.variants.split(","))
    ]
    total_words = sum(len(t) for _, _, t in items)
    rows = []
    for v in wanted:
        matched = found = 0
        secs = cpu = 0.0
        per_img = []
        for name, img, truth in items:
            t0, c0 = time.perf_counter(), _child_cpu()
            page = run_ocr(img, upscale=v.upscale, options=v.options)
            dt = time.perf_counter() - t0
            cpu += _child_cpu() - c0
            secs += dt
            words = [(w.text, w.box) for w in page.words() if w.conf >= args.min_conf]
            m, f = score(truth, words)
            matched += m
            found += f
            per_img.append(f"{name}:{m / max(1, len(truth)):.3f}")
        rec, prec = matched / max(1, total_words), matched / max(1, found)
        rows.append((v.name, rec, prec, secs / len(items), cpu / len(items)))
        print(
            f"{v.name:34s} recall {rec:.3f} precision {prec:.3f} {secs / len(items):.2f} s/img"
            f"  [{' '.join(per_img)}]",
            flush=True,
        )
    cmd = "OMP_THREAD_LIMIT=1 .venv/bin/python bench/ocr_recall.py " + " ".join(
        a for a in (argv if argv is not None else sys.argv[1:])
    )
    src = (
        f"{len(items)} images ({', '.join(sorted({n for n, _, _ in items})[:8])}...), "
        f"{total_words} ground-truth words"
    )
    lines = [
        "# OCR recall / precision / speed per variant",
        "",
        f"Command: `{cmd.strip()}`",
        "",
        f"Set: {src}. Match = same text and overlapping box, one-to-one. Precision = matched /",
        "all words returned (all confidences). Seconds per image on a shared 2-core machine",
        "(noisy: ~5 other jobs were running, load average ~12); the CPU column (user+sys of the",
        "tesseract processes) is steadier: wall on 2 idle cores ~ CPU/strips + ~1 s of Python.",
        "",
        "| variant | recall | precision | wall s/img | tesseract CPU s/img |",
        "|---|---|---|---|---|",
        *[f"| {n} | {r:.3f} | {p:.3f} | {s:.2f} | {c:.2f} |" for n, r, p, s, c in rows],
        "",
    ]
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text("\n".join(lines))


if __name__ == "__main__":
    main()

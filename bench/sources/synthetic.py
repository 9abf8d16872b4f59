"""The synthetic app screenshots of the set: variants (app, size, theme, scale, AA) and build."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .common import Entry, save_rgb, write_truth
from .synth_canvas import FONTS, Canvas
from .synth_dev import draw_code, draw_terminal
from .synth_office import draw_chat, draw_dialog, draw_mail, draw_sheet
from .synth_text import CODE, PROSE, pick_sentences, source_of

FONT_PACKAGES = (
    "Debian fonts-dejavu, fonts-liberation2, fonts-open-sans, fonts-roboto-unhinted, "
    "fonts-firacode, fonts-hack, fonts-noto-mono"
)


@dataclass(frozen=True)
class Variant:
    """One synthetic screenshot: app kind, output size, theme, UI scale, sub-pixel AA, options."""

    name: str
    kind: str
    size: tuple[int, int]
    theme: str
    ui: int = 1
    subpixel: bool = False
    opts: dict[str, Any] = field(default_factory=dict)


VARIANTS = [
    Variant("code_py_dark_cleartype", "code", (1920, 1080), "dark", subpixel=True),
    Variant(
        "code_py_light",
        "code",
        (1280, 800),
        "light",
        opts={"lang": "python2", "mono": "hack", "ui_font": "opensans"},
    ),
    Variant(
        "code_py_dark_2x",
        "code",
        (1920, 1080),
        "dark",
        ui=2,
        opts={"mono": "firacode", "ui_font": "roboto", "code_px": 13},
    ),
    Variant(
        "code_bash_light_cleartype",
        "code",
        (1024, 768),
        "light",
        subpixel=True,
        opts={"lang": "bash", "mono": "liberation-mono", "ui_font": "liberation"},
    ),
    Variant("terminal_grep_dark", "terminal", (1920, 1080), "dark", opts={"page": "grep"}),
    Variant(
        "terminal_tar_light_cleartype",
        "terminal",
        (800, 500),
        "light",
        subpixel=True,
        opts={"page": "tar", "mono": "noto-mono", "px": 13},
    ),
    Variant(
        "terminal_sqlite3_dark_2x",
        "terminal",
        (1600, 1000),
        "dark",
        ui=2,
        opts={"page": "sqlite3", "mono": "hack"},
    ),
    Variant("chat_light_cleartype", "chat", (1440, 900), "light", subpixel=True),
    Variant("chat_dark", "chat", (1920, 1080), "dark", opts={"face": "opensans"}),
    Variant("chat_light_2x", "chat", (1280, 800), "light", ui=2, opts={"face": "dejavu"}),
    Variant("mail_light", "mail", (1920, 1080), "light"),
    Variant(
        "mail_dark_cleartype",
        "mail",
        (1366, 768),
        "dark",
        subpixel=True,
        opts={"face": "liberation"},
    ),
    Variant("mail_dark_2x", "mail", (1600, 900), "dark", ui=2, opts={"face": "roboto"}),
    Variant("sheet_light_cleartype", "spreadsheet", (1920, 1080), "light", subpixel=True),
    Variant("sheet_dark", "spreadsheet", (1280, 720), "dark", opts={"face": "dejavu"}),
    Variant("sheet_light_2x", "spreadsheet", (1200, 800), "light", ui=2, opts={"face": "opensans"}),
    Variant("dialog_light", "dialog", (900, 600), "light"),
    Variant(
        "dialog_dark_cleartype",
        "dialog",
        (760, 520),
        "dark",
        subpixel=True,
        opts={"face": "roboto"},
    ),
    Variant("dialog_light_2x", "dialog", (1400, 1000), "light", ui=2, opts={"face": "opensans"}),
    Variant("dialog_dark", "dialog", (640, 420), "dark", opts={"face": "liberation"}),
]


def _draw(v: Variant, rng: random.Random) -> tuple[Canvas, list[dict[str, Any]]]:
    """Draw one variant; return the canvas and the provenance of the real text it shows."""
    logical = (v.size[0] // v.ui, v.size[1] // v.ui)
    args = (logical, v.theme, v.ui, v.subpixel, rng)
    if v.kind == "code":
        c = draw_code(*args, **v.opts)
        return c, [source_of(CODE[v.opts.get("lang", "python")])]
    if v.kind == "terminal":
        c, man_path = draw_terminal(*args, **v.opts)
        return c, [source_of(man_path)]
    if v.kind == "chat":
        prose = PROSE[rng.randrange(len(PROSE))]
        return draw_chat(*args, pick_sentences(rng, 14, prose), **v.opts), [source_of(prose)]
    if v.kind == "mail":
        a, b = rng.sample(PROSE, 2)
        subj, body = pick_sentences(rng, 24, a), pick_sentences(rng, 10, b)
        return draw_mail(*args, subj, body, **v.opts), [source_of(a), source_of(b)]
    drawers: dict[str, Callable[..., Canvas]] = {"spreadsheet": draw_sheet, "dialog": draw_dialog}
    return drawers[v.kind](*args, **v.opts), []


def build(out_dir: Path, seed: int) -> list[Entry]:
    """Draw every variant into `out_dir` with `<name>.truth.json` beside each PNG."""
    entries = []
    for i, v in enumerate(VARIANTS):
        s = seed * 1000 + i
        c, text_src = _draw(v, random.Random(s))
        img = c.finish()
        out = out_dir / f"synth_{v.name}.png"
        save_rgb(img, out)
        truth = out.with_suffix(".truth.json")
        write_truth(truth, img.width, img.height, c.words)
        entries.append(
            Entry(
                file=f"screens/{out.name}",
                kind=v.kind,
                theme=v.theme,
                scale=f"{v.ui}x",
                width=img.width,
                height=img.height,
                truth=f"screens/{truth.name}",
                source={
                    "generator": f"bench/sources/synthetic.py:{v.name}",
                    "seed": s,
                    "subpixel_aa": v.subpixel,
                    "fonts": sorted(FONTS[f].split("/truetype/")[1] for f in c.fonts_used),
                    "fonts_from": FONT_PACKAGES,
                    "text_from": text_src,
                    "licence": "generated; text licences in text_from",
                },
            )
        )
    return entries

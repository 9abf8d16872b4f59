"""Synthetic developer screenshots: a code editor with syntax colours, a terminal with man text."""

from __future__ import annotations

import random
from pathlib import Path

from pygments.lexers import get_lexer_by_name
from pygments.styles import get_style_by_name

from .synth_canvas import Canvas, bold
from .synth_text import CODE, code_lines, man_page

EDITOR = {
    "dark": {
        "bg": "#1e1e1e",
        "side": "#252526",
        "bar": "#333333",
        "tab": "#2d2d2d",
        "fg": "#d4d4d4",
        "dim": "#858585",
        "status": "#007acc",
        "sel": "#37373d",
        "style": "monokai",
    },
    "light": {
        "bg": "#ffffff",
        "side": "#f3f3f3",
        "bar": "#dddddd",
        "tab": "#ececec",
        "fg": "#333333",
        "dim": "#999999",
        "status": "#2c7ad6",
        "sel": "#e4e6f1",
        "style": "friendly",
    },
}


def draw_code(
    size: tuple[int, int],
    theme: str,
    ui: int,
    subpixel: bool,
    rng: random.Random,
    lang: str = "python",
    mono: str = "dejavu-mono",
    ui_font: str = "dejavu",
    code_px: int = 14,
) -> Canvas:
    """A code editor: title bar, file tree, tabs, gutter, highlighted code, status bar."""
    t = EDITOR[theme]
    W, H = size
    c = Canvas(size, t["bg"], ui, subpixel)
    path = Path(CODE[lang])
    c.rect((0, 0, W, 30), fill=t["bar"])
    c.text((W / 2, 15), f"{path.name} - picd-workspace - Code", ui_font, 12, t["fg"], anchor="mm")
    c.rect((0, 30, 48, H - 22), fill=t["bar"])
    side_w = 220 if W >= 900 else 150
    c.rect((48, 30, 48 + side_w, H - 22), fill=t["side"])
    c.text((60, 40), "EXPLORER", bold(ui_font), 11, t["dim"])
    siblings = sorted(p.name for p in path.parent.iterdir() if p.is_file())
    start = rng.randrange(0, max(1, len(siblings) - 40))
    y = 64
    for name in siblings[start : start + 60]:
        if y > H - 50:
            break
        if name == path.name:
            c.rect((48, y - 3, 48 + side_w, y + 19), fill=t["sel"])
        c.text((72, y), name, ui_font, 13, t["fg"])
        y += 22
    x0 = 48 + side_w
    c.rect((x0, 30, W, 64), fill=t["tab"])
    tx = x0
    for i, name in enumerate([path.name, *rng.sample(siblings, 2)]):
        tw = c.length(name, ui_font, 13) + 40
        c.rect((tx, 30, tx + tw, 64), fill=t["bg"] if i == 0 else t["tab"])
        c.text((tx + 20, 40), name, ui_font, 13, t["fg"] if i == 0 else t["dim"])
        tx += tw + 1
    lines = code_lines(lang)
    line_h = round(code_px * 1.45)
    rows = (H - 22 - 72) // line_h
    first = rng.randrange(0, max(1, len(lines) - rows))
    cw = c.length("M", mono, code_px)
    gutter = x0 + 16 + cw * 5
    cols = int((W - gutter - 10) // cw)
    style = get_style_by_name(t["style"])
    lexer = get_lexer_by_name("bash" if lang == "bash" else "python")
    code = "\n".join(lines[first : first + rows]) + "\n"
    y = 72.0
    col = 0
    c.text((x0 + 16, y), f"{first + 1:>4}", mono, code_px, t["dim"])
    row = 0
    for ttype, value in lexer.get_tokens(code):
        st = style.style_for_token(ttype)
        color = "#" + st["color"] if st["color"] else t["fg"]
        parts = value.split("\n")
        for k, part in enumerate(parts):
            if k > 0:
                row += 1
                col = 0
                y = 72.0 + row * line_h
                if row >= rows:
                    break
                c.text((x0 + 16, y), f"{first + row + 1:>4}", mono, code_px, t["dim"])
            vis = part[: max(0, cols - col)]
            if vis:
                c.text((gutter + col * cw, y), vis, mono, code_px, color, record=False)
            col += len(part)
    for i, ln in enumerate(lines[first : first + rows]):
        c.record((gutter, 72.0 + i * line_h), ln[:cols], mono, code_px)
    c.rect((0, H - 22, W, H), fill=t["status"])
    status = f"Ln {first + 3}, Col 9   Spaces: 4   UTF-8   LF   {lang.rstrip('2').title()}"
    c.text((W - 12, H - 11), status, ui_font, 12, "#ffffff", anchor="rm")
    c.text((58, H - 11), "main", ui_font, 12, "#ffffff", anchor="lm")
    return c


TERMINAL = {
    "dark": {
        "bg": "#300a24",
        "fg": "#eeeeec",
        "bar": "#2c2c2c",
        "title": "#dddddd",
        "prompt": "#8ae234",
        "path": "#729fcf",
    },
    "light": {
        "bg": "#fdfdfd",
        "fg": "#1c1c1c",
        "bar": "#e1e1e1",
        "title": "#333333",
        "prompt": "#4e9a06",
        "path": "#3465a4",
    },
}


def draw_terminal(
    size: tuple[int, int],
    theme: str,
    ui: int,
    subpixel: bool,
    rng: random.Random,
    page: str = "grep",
    mono: str = "dejavu-mono",
    px: int = 14,
) -> tuple[Canvas, str]:
    """A terminal window showing `man <page>` part-way through; returns (canvas, man file)."""
    t = TERMINAL[theme]
    W, H = size
    c = Canvas(size, t["bg"], ui, subpixel)
    c.rect((0, 0, W, 34), fill=t["bar"])
    c.text(
        (W / 2, 17), f"user@picd: ~/src - man {page}", "dejavu-bold", 12, t["title"], anchor="mm"
    )
    for i, col in enumerate(("#ed6a5e", "#f5bf4f", "#61c554")):
        c.ellipse((W - 80 + i * 24, 10, W - 66 + i * 24, 24), fill=col)
    cw = c.length("M", mono, px)
    line_h = round(px * 1.3)
    cols = int((W - 16) // cw)
    rows = int((H - 34 - 12) // line_h)
    lines, man_path = man_page(page, cols)
    first = rng.randrange(0, max(1, len(lines) - rows))
    y = 40.0
    shown = lines[first : first + rows - 1]
    for ln in shown:
        ln = ln[:cols]
        heading = ln.strip() != "" and ln == ln.upper() and not ln.startswith(" ")
        c.text((8, y), ln, bold(mono) if heading else mono, px, t["fg"])
        y += line_h
    msg = f" Manual page {page}(1) line {first + 1} (press h for help or q to quit)"
    bw = c.length(msg, mono, px)
    c.rect((8, y, 8 + bw, y + line_h), fill=t["fg"])
    c.text((8, y), msg, mono, px, t["bg"])
    return c, man_path

"""Synthetic office screenshots: chat, mail client, spreadsheet, settings dialog."""

from __future__ import annotations

import random

from .synth_canvas import Canvas, bold, wrap

PAL = {
    "light": {
        "bg": "#ffffff",
        "side": "#f0f1f3",
        "bar": "#e4e6ea",
        "fg": "#1d1c1d",
        "dim": "#6b6f76",
        "acc": "#1264a3",
        "sel": "#dbe8f7",
        "line": "#d6d8dc",
        "bubble": "#eef1f5",
        "field": "#ffffff",
    },
    "dark": {
        "bg": "#1a1d21",
        "side": "#19171d",
        "bar": "#2b2d31",
        "fg": "#e8e8e8",
        "dim": "#9a9ca0",
        "acc": "#4a9eff",
        "sel": "#27374d",
        "line": "#3a3d42",
        "bubble": "#2a2e34",
        "field": "#222428",
    },
}
NAMES = [
    "Ana Lopez",
    "Ben Okafor",
    "Chen Wei",
    "Dana Novak",
    "Eli Haddad",
    "Farah Khan",
    "Goran Petrov",
    "Hana Sato",
    "Ivan Rossi",
    "Julia Berg",
    "Kofi Mensah",
    "Lena Vogel",
]
AVATAR = ["#e06c75", "#61afef", "#98c379", "#c678dd", "#d19a66", "#56b6c2"]


def draw_chat(
    size: tuple[int, int],
    theme: str,
    ui: int,
    subpixel: bool,
    rng: random.Random,
    msgs: list[str],
    face: str = "roboto",
) -> Canvas:
    """A team chat: channel sidebar, header, messages with avatars and times, input box."""
    p = PAL[theme]
    W, H = size
    c = Canvas(size, p["bg"], ui, subpixel)
    sw = 230 if W >= 900 else 160
    c.rect((0, 0, sw, H), fill="#3f0e40" if theme == "light" else p["side"])
    c.text((16, 14), "picd-dev", bold(face), 17, "#ffffff")
    chans = ["general", "release", "docs", "codec", "ocr", "random", "benchmarks", "help"]
    y = 56
    for i, ch in enumerate(chans):
        if i == 1:
            c.rect((0, y - 4, sw, y + 22), fill="#1164a3")
        c.text((20, y), f"# {ch}", face, 14, "#ffffff" if i == 1 else "#cfc3cf")
        y += 28
    y += 12
    c.text((16, y), "Direct messages", bold(face), 13, "#cfc3cf")
    for n in rng.sample(NAMES, 4):
        y += 26
        c.ellipse((20, y + 3, 30, y + 13), fill="#2bac76")
        c.text((38, y), n, face, 14, "#cfc3cf")
    c.rect((sw, 0, W, 50), fill=p["bg"])
    c.line([(sw, 50), (W, 50)], p["line"])
    c.text((sw + 18, 15), "# release", bold(face), 17, p["fg"])
    c.text((sw + 120, 18), "Cutting the next version: notes and checklist", face, 13, p["dim"])
    boxes = []
    y = 64
    hour, minute = rng.randrange(8, 17), rng.randrange(0, 50)
    for k, msg in enumerate(msgs):
        name = NAMES[rng.randrange(len(NAMES))]
        lines = wrap(c, msg, face, 15, W - sw - 100)
        need = 24 + 22 * len(lines) + 14
        if y + need > H - 80:
            break
        boxes.append((name, lines, y))
        c.rect((sw + 18, y + 2, sw + 54, y + 38), fill=AVATAR[k % len(AVATAR)], radius=6)
        c.text(
            (sw + 36, y + 20),
            "".join(s[0] for s in name.split()),
            bold(face),
            14,
            "#ffffff",
            anchor="mm",
        )
        nw = c.text((sw + 68, y), name, bold(face), 15, p["fg"])
        minute += rng.randrange(1, 6)
        c.text(
            (sw + 76 + nw, y + 2), f"{hour + minute // 60}:{minute % 60:02d}", face, 12, p["dim"]
        )
        for i, ln in enumerate(lines):
            c.text((sw + 68, y + 24 + 22 * i), ln, face, 15, p["fg"])
        y += need
    c.rect((sw + 18, H - 64, W - 18, H - 18), fill=p["field"], outline=p["line"], radius=8)
    c.text((sw + 32, H - 49), "Message # release", face, 15, p["dim"])
    return c


def draw_mail(
    size: tuple[int, int],
    theme: str,
    ui: int,
    subpixel: bool,
    rng: random.Random,
    subjects: list[str],
    body: list[str],
    face: str = "opensans",
) -> Canvas:
    """A mail client: toolbar, folders, message list with one selected, reading pane."""
    p = PAL[theme]
    W, H = size
    c = Canvas(size, p["bg"], ui, subpixel)
    c.rect((0, 0, W, 44), fill=p["bar"])
    x = 12
    for b in ["Get Messages", "Write", "Reply", "Reply All", "Forward", "Archive", "Delete"]:
        bw = c.length(b, face, 13) + 20
        c.rect((x, 8, x + bw, 36), fill=p["bg"], outline=p["line"], radius=4)
        c.text((x + 10, 13), b, face, 13, p["fg"])
        x += bw + 8
    fw = 190 if W >= 900 else 130
    c.rect((0, 44, fw, H), fill=p["side"])
    y = 56
    for i, (f, n) in enumerate(
        [
            ("Inbox", 12),
            ("Drafts", 2),
            ("Sent", 0),
            ("Archive", 0),
            ("Junk", 5),
            ("Trash", 0),
            ("Lists", 31),
        ]
    ):
        if i == 0:
            c.rect((0, y - 4, fw, y + 22), fill=p["sel"])
        c.text((18, y), f, bold(face) if n else face, 14, p["fg"])
        if n:
            c.text((fw - 14, y + 9), str(n), bold(face), 12, p["acc"], anchor="rm")
        y += 30
    split = 44 + (H - 44) * 0.46
    c.rect((fw, 44, W, 70), fill=p["bar"])
    c.text((fw + 12, 50), "From", bold(face), 12, p["dim"])
    c.text((fw + 240, 50), "Subject", bold(face), 12, p["dim"])
    c.text((W - 14, 57), "Date", bold(face), 12, p["dim"], anchor="rm")
    y = 72
    sel = rng.randrange(0, 3)
    day = rng.randrange(1, 20)
    for i, subj in enumerate(subjects):
        if y + 26 > split:
            break
        if i == sel:
            c.rect((fw, y, W, y + 26), fill=p["sel"])
        sender = NAMES[(i * 5 + day) % len(NAMES)]
        unread = i % 3 == 1
        f = bold(face) if unread else face
        c.text((fw + 12, y + 4), sender, f, 13, p["fg"])
        subj_lines = wrap(c, subj, f, 13, W - fw - 240 - 120)
        c.text((fw + 240, y + 4), subj_lines[0], f, 13, p["fg"])
        date = f"2024-0{1 + i % 9}-{day + i % 9:02d} {9 + i % 8}:{i * 7 % 60:02d}"
        c.text((W - 14, y + 13), date, face, 12, p["dim"], anchor="rm")
        c.line([(fw, y + 26), (W, y + 26)], p["line"])
        y += 27
    c.rect((fw, split, W, split + 1), fill=p["line"])
    y = split + 14
    c.text((fw + 20, y), subjects[sel], bold(face), 18, p["fg"])
    c.text(
        (fw + 20, y + 30),
        f"From: {NAMES[(sel * 5 + day) % len(NAMES)]} <dev@picd.example>",
        face,
        13,
        p["dim"],
    )
    c.text((fw + 20, y + 50), "To: picd-dev list", face, 13, p["dim"])
    y += 84
    for para in body:
        for ln in wrap(c, para, face, 14, W - fw - 60):
            if y + 20 > H - 10:
                return c
            c.text((fw + 20, y), ln, face, 14, p["fg"])
            y += 21
        y += 10
    return c


def draw_sheet(
    size: tuple[int, int],
    theme: str,
    ui: int,
    subpixel: bool,
    rng: random.Random,
    face: str = "liberation",
) -> Canvas:
    """A spreadsheet: menu, formula bar, lettered columns, numbered rows, figures, sheet tabs."""
    p = PAL[theme]
    W, H = size
    c = Canvas(size, p["bg"], ui, subpixel)
    c.rect((0, 0, W, 28), fill=p["bar"])
    x = 10
    for m in [
        "File",
        "Edit",
        "View",
        "Insert",
        "Format",
        "Styles",
        "Sheet",
        "Data",
        "Tools",
        "Window",
        "Help",
    ]:
        x += c.text((x, 6), m, face, 13, p["fg"]) + 16
    c.rect((0, 28, W, 56), fill=p["bg"])
    c.rect((6, 32, 86, 52), fill=p["field"], outline=p["line"])
    c.text((12, 35), "D7", face, 13, p["fg"])
    c.text((100, 35), "fx", bold(face), 13, p["dim"])
    c.rect((124, 32, W - 6, 52), fill=p["field"], outline=p["line"])
    c.text((130, 35), "=SUM(C7:F7)", face, 13, p["fg"])
    heads = ["Region", "Product", "Q1", "Q2", "Q3", "Q4", "Total", "Growth", "Owner", "Status"]
    regions = ["North", "South", "East", "West", "Central", "Overseas"]
    products = ["Archive", "Viewer", "Codec", "Scanner", "Reader", "Server", "Toolkit"]
    rh, hw = 22, 44
    widths = [96, 96] + [90] * 5 + [70, 110, 90] + [90] * 20
    top = 56
    c.rect((0, top, W, top + rh), fill=p["bar"])
    x = hw
    col_x = []
    for j, w in enumerate(widths):
        if x >= W:
            break
        col_x.append((x, w))
        c.text((x + w / 2, top + rh / 2), chr(65 + j), face, 12, p["dim"], anchor="mm")
        c.line([(x, top), (x, H - 30)], p["line"])
        x += w
    nrows = int((H - 30 - top - rh) // rh)
    for i in range(nrows):
        y = top + rh * (i + 1)
        c.rect((0, y, hw, y + rh), fill=p["bar"])
        c.text((hw / 2, y + rh / 2), str(i + 1), face, 12, p["dim"], anchor="mm")
        c.line([(0, y + rh), (W, y + rh)], p["line"])
        for j, (cx, w) in enumerate(col_x):
            if j >= len(heads):
                break
            if i == 0:
                c.text((cx + 4, y + 4), heads[j], bold(face), 13, p["fg"])
                continue
            if j == 0:
                s = regions[(i + rng.randrange(2)) % len(regions)]
            elif j == 1:
                s = rng.choice(products)
            elif j < 7:
                s = f"{rng.uniform(200, 98000):,.2f}"
            elif j == 7:
                s = f"{rng.uniform(-12, 35):.1f}%"
            elif j == 8:
                s = NAMES[rng.randrange(len(NAMES))].split()[0]
            else:
                s = rng.choice(["Open", "Closed", "Review", "Draft"])
            num = 2 <= j <= 7
            color = "#c0392b" if num and s.startswith("-") else p["fg"]
            if num:
                c.text((cx + w - 5, y + rh / 2), s, face, 13, color, anchor="rm")
            else:
                c.text((cx + 4, y + 4), s, face, 13, color)
    c.rect((0, H - 30, W, H), fill=p["bar"])
    x = 12
    for k, tab in enumerate(["Summary", "Sales 2024", "Forecast", "Notes"]):
        tw = c.length(tab, face, 13) + 24
        c.rect((x, H - 28, x + tw, H - 4), fill=p["bg"] if k == 1 else p["bar"], outline=p["line"])
        c.text((x + 12, H - 24), tab, face, 13, p["fg"])
        x += tw + 4
    return c


def draw_dialog(
    size: tuple[int, int],
    theme: str,
    ui: int,
    subpixel: bool,
    rng: random.Random,
    face: str = "dejavu",
) -> Canvas:
    """A settings dialog: title bar, category list, checkboxes, radios, combos, buttons."""
    p = PAL[theme]
    W, H = size
    c = Canvas(size, p["side"], ui, subpixel)
    c.rect((0, 0, W, 36), fill=p["bar"])
    c.text((W / 2, 18), "Preferences", bold(face), 14, p["fg"], anchor="mm")
    cats = [
        "General",
        "Appearance",
        "Compression",
        "Text Recognition",
        "Privacy",
        "Shortcuts",
        "Storage",
        "Updates",
        "Advanced",
    ]
    lw = 170 if W >= 700 else 140
    c.rect((0, 36, lw, H - 56), fill=p["bg"])
    cur = rng.randrange(0, 4)
    for i, cat in enumerate(cats):
        y = 46 + i * 30
        if y > H - 90:
            break
        if i == cur:
            c.rect((4, y - 4, lw - 4, y + 22), fill=p["acc"], radius=4)
        c.text((16, y), cat, face, 13, "#ffffff" if i == cur else p["fg"])
    x0 = lw + 24
    y = 52
    c.text((x0, y), cats[cur], bold(face), 16, p["fg"])
    y += 36
    opts = [
        "Start minimised to the tray",
        "Check for updates automatically",
        "Keep the original file after compressing",
        "Show notifications when done",
        "Make text in screenshots searchable",
        "Confirm before deleting files",
        "Use hardware acceleration when available",
        "Send anonymous usage statistics",
    ]
    rng.shuffle(opts)
    for k, o in enumerate(opts[: max(2, int((H - 300) // 30))]):
        c.rect((x0, y + 1, x0 + 16, y + 17), fill=p["field"], outline=p["dim"], radius=3)
        if k % 2 == 0:
            c.line([(x0 + 3, y + 9), (x0 + 7, y + 13), (x0 + 13, y + 4)], p["acc"], width=2)
        c.text((x0 + 26, y), o, face, 13, p["fg"])
        y += 30
    y += 6
    c.text((x0, y), "Quality preset", bold(face), 13, p["fg"])
    y += 26
    for k, o in enumerate(["Smallest file", "Balanced", "Best quality"]):
        c.ellipse((x0, y + 1, x0 + 16, y + 17), fill=p["field"], outline=p["dim"])
        if k == 1:
            c.ellipse((x0 + 4, y + 5, x0 + 12, y + 13), fill=p["acc"])
        c.text((x0 + 26, y), o, face, 13, p["fg"])
        y += 26
    y += 8
    for label, value in [("Language", "English (United Kingdom)"), ("Save folder", "~/Pictures")]:
        if y + 30 > H - 60:
            break
        c.text((x0, y + 5), label, face, 13, p["fg"])
        c.rect((x0 + 120, y, W - 24, y + 28), fill=p["field"], outline=p["line"], radius=4)
        c.text((x0 + 130, y + 6), value, face, 13, p["fg"])
        y += 38
    c.line([(0, H - 56), (W, H - 56)], p["line"])
    x = W - 16
    for b in ["Apply", "Cancel", "OK"]:
        bw = max(84, c.length(b, face, 13) + 30)
        c.rect(
            (x - bw, H - 44, x, H - 14),
            fill=p["acc"] if b == "OK" else p["bg"],
            outline=p["line"],
            radius=5,
        )
        c.text((x - bw / 2, H - 29), b, face, 13, "#ffffff" if b == "OK" else p["fg"], anchor="mm")
        x -= bw + 10
    c.text((16, H - 36), "Help", face, 13, p["acc"])
    return c

"""Screenshots of Debian HTML manuals rendered by headless Chromium (light, dark, 200 %)."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from .common import Entry, debian_source, save_rgb

LICENCES = {"git-doc": "GPL-2", "bash-doc": "GPL-3+", "sqlite3-doc": "public-domain"}

DARK_CSS = """
html, body { background: #1e1f22 !important; color: #d4d4d4 !important; }
* { background-color: transparent !important; color: inherit !important;
    border-color: #45474d !important; }
a, a * { color: #7fb2f0 !important; }
h1, h2, h3, h4, h1 *, h2 *, h3 *, h4 * { color: #e5b567 !important; }
pre, code, tt, .listingblock .content, .literalblock .content {
    background-color: #2a2c31 !important; color: #c5e1a5 !important; }
"""


@dataclass(frozen=True)
class Page:
    """One browser render: the page, the window (CSS px), scale, theme and scroll offset."""

    name: str
    path: str
    window: tuple[int, int]
    dpr: int = 1
    dark: bool = False
    scroll: int = 0


PAGES: list[Page] = [
    Page("web_git_log", "/usr/share/doc/git-doc/git-log.html", (1920, 1080)),
    Page(
        "web_git_rebase_dark",
        "/usr/share/doc/git-doc/git-rebase.html",
        (1280, 800),
        dark=True,
        scroll=900,
    ),
    Page(
        "web_gittutorial_2x",
        "/usr/share/doc/git-doc/gittutorial.html",
        (960, 540),
        dpr=2,
        scroll=400,
    ),
    Page("web_git_config", "/usr/share/doc/git-doc/git-config.html", (1024, 768), scroll=1500),
    Page(
        "web_git_user_manual", "/usr/share/doc/git-doc/user-manual.html", (1600, 900), scroll=5200
    ),
    Page(
        "web_git_commit_dark_2x",
        "/usr/share/doc/git-doc/git-commit.html",
        (800, 500),
        dpr=2,
        dark=True,
        scroll=2200,
    ),
    Page("web_bashref", "/usr/share/doc/bash-doc/bashref.html", (1920, 1080), scroll=26000),
    Page(
        "web_bash_dark", "/usr/share/doc/bash-doc/bash.html", (1366, 768), dark=True, scroll=12000
    ),
    Page("web_bashref_2x", "/usr/share/doc/bash-doc/bashref.html", (960, 540), dpr=2, scroll=60000),
    Page("web_sqlite_select", "/usr/share/doc/sqlite3/lang_select.html", (1920, 1080), scroll=2400),
    Page(
        "web_sqlite_datatype_dark",
        "/usr/share/doc/sqlite3/datatype3.html",
        (1440, 900),
        dark=True,
        scroll=600,
    ),
    Page(
        "web_sqlite_createtable_2x",
        "/usr/share/doc/sqlite3/lang_createtable.html",
        (700, 450),
        dpr=2,
        scroll=1200,
    ),
    Page("web_sqlite_about", "/usr/share/doc/sqlite3/about.html", (640, 420)),
    Page(
        "web_sqlite_cli_dark",
        "/usr/share/doc/sqlite3/cli.html",
        (1920, 1080),
        dark=True,
        scroll=2500,
    ),
    Page("web_sqlite_expr", "/usr/share/doc/sqlite3/lang_expr.html", (1280, 720), scroll=3000),
]

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--disable-extensions",
    "--mute-audio",
    "--run-all-compositor-stages-before-draw",
    "--virtual-time-budget=5000",
]


def chromium_binary() -> str:
    """Path of the chromium executable (apt package `chromium`)."""
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        raise RuntimeError("chromium not found: apt-get install chromium")
    return exe


def _wrapped_html(page: Page) -> str:
    """The page's HTML with a <base> (so relative links resolve), scroll and dark CSS injected."""
    raw = Path(page.path).read_bytes().decode("utf-8", errors="replace")
    css = f"body {{ position: relative !important; top: -{page.scroll}px !important; }}\n"
    if page.dark:
        css += DARK_CSS
    inject = f'<base href="file://{Path(page.path).parent}/"><style>{css}</style>'
    m = re.search(r"<head[^>]*>", raw, flags=re.IGNORECASE)
    if m is None:
        return inject + raw
    return raw[: m.end()] + inject + raw[m.end() :]


def render(page: Page, out: Path, exe: str) -> Image.Image:
    """Render one page to `out` (PNG) and return the RGB image."""
    with tempfile.TemporaryDirectory(prefix="picd-chromium-") as tmp:
        html = Path(tmp) / "page.html"
        html.write_text(_wrapped_html(page), encoding="utf-8")
        shot = Path(tmp) / "shot.png"
        w, h = page.window
        cmd = [
            exe,
            *FLAGS,
            f"--user-data-dir={tmp}/profile",
            f"--screenshot={shot}",
            f"--window-size={w},{h}",
            f"--force-device-scale-factor={page.dpr}",
            html.as_uri(),
        ]
        subprocess.run(cmd, capture_output=True, timeout=120, check=True)
        img = Image.open(shot).convert("RGB")
        img.load()
    save_rgb(img, out)
    return img


def build(out_dir: Path, jobs: int = 2) -> list[Entry]:
    """Render every page of PAGES into `out_dir`; return their manifest entries."""
    exe = chromium_binary()

    def one(page: Page) -> Entry:
        out = out_dir / f"{page.name}.png"
        img = render(page, out, exe)
        pkg_path = page.path
        src = debian_source(
            pkg_path,
            "",
            generator="headless chromium",
            scroll_css_px=page.scroll,
            window_css_px=list(page.window),
            device_scale_factor=page.dpr,
        )
        src["licence"] = LICENCES.get(src["debian_package"], "see /usr/share/doc/*/copyright")
        return Entry(
            file=f"screens/{out.name}",
            kind="web",
            theme="dark" if page.dark else "light",
            scale=f"{page.dpr}x",
            width=img.width,
            height=img.height,
            source=src,
        )

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(one, PAGES))

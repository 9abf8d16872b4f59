"""A drawing canvas for synthetic screenshots that records every word it draws (OCR truth).

Drawing is in logical pixels; the canvas is `ui` (1 or 2) times larger. With `subpixel`, it is
drawn 3x larger again and reduced ClearType-like: luma box-averaged vertically, each output
pixel's R, G, B taken from three neighbouring sub-columns after a 5-tap [1,2,3,2,1] filter,
which gives the coloured fringes of LCD sub-pixel antialiasing.
"""

from __future__ import annotations

import functools
import re
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from scipy.ndimage import convolve1d

FONT_DIR = "/usr/share/fonts/truetype"
FONTS = {
    "dejavu": f"{FONT_DIR}/dejavu/DejaVuSans.ttf",
    "dejavu-bold": f"{FONT_DIR}/dejavu/DejaVuSans-Bold.ttf",
    "dejavu-mono": f"{FONT_DIR}/dejavu/DejaVuSansMono.ttf",
    "dejavu-mono-bold": f"{FONT_DIR}/dejavu/DejaVuSansMono-Bold.ttf",
    "liberation": f"{FONT_DIR}/liberation2/LiberationSans-Regular.ttf",
    "liberation-bold": f"{FONT_DIR}/liberation2/LiberationSans-Bold.ttf",
    "liberation-mono": f"{FONT_DIR}/liberation2/LiberationMono-Regular.ttf",
    "opensans": f"{FONT_DIR}/open-sans/OpenSans-Regular.ttf",
    "opensans-bold": f"{FONT_DIR}/open-sans/OpenSans-Bold.ttf",
    "roboto": f"{FONT_DIR}/roboto/unhinted/RobotoTTF/Roboto-Regular.ttf",
    "roboto-bold": f"{FONT_DIR}/roboto/unhinted/RobotoTTF/Roboto-Bold.ttf",
    "firacode": f"{FONT_DIR}/firacode/FiraCode-Regular.ttf",
    "hack": f"{FONT_DIR}/hack/Hack-Regular.ttf",
    "hack-bold": f"{FONT_DIR}/hack/Hack-Bold.ttf",
    "noto-mono": f"{FONT_DIR}/noto/NotoSansMono-Regular.ttf",
}

Color = str | tuple[int, int, int]
WORD = re.compile(r"\S+")


@functools.cache
def font(name: str, px: int) -> ImageFont.FreeTypeFont:
    """A TrueType font from FONTS at `px` pixels."""
    return ImageFont.truetype(FONTS[name], px)


def bold(name: str) -> str:
    """The bold face of a FONTS entry if there is one, else the same face."""
    cand = name + "-bold"
    return cand if cand in FONTS else name


def subpixel_reduce(big: Image.Image) -> Image.Image:
    """Reduce an image drawn 3x larger to ClearType-like RGB sub-pixel antialiasing."""
    a = np.asarray(big.convert("RGB"), dtype=np.uint16)
    h3, w3, _ = a.shape
    rows = a.reshape(h3 // 3, 3, w3, 3).sum(axis=1).astype(np.float32) / 3.0
    filt = convolve1d(rows, np.array([1, 2, 3, 2, 1], np.float32) / 9.0, axis=1, mode="nearest")
    out = np.stack([filt[:, c::3, c] for c in range(3)], axis=-1)
    return Image.fromarray(np.clip(out + 0.5, 0, 255).astype(np.uint8), "RGB")


class Canvas:
    """Logical-pixel drawing surface that keeps the exact words drawn and their pixel boxes."""

    def __init__(self, size: tuple[int, int], bg: Color, ui: int = 1, subpixel: bool = False):
        self.w, self.h = size
        self.ui, self.ss = ui, (3 if subpixel else 1)
        self.f = ui * self.ss
        self.img = Image.new("RGB", (self.w * self.f, self.h * self.f), bg)
        self.draw = ImageDraw.Draw(self.img)
        self.words: list[dict[str, Any]] = []
        self.fonts_used: set[str] = set()

    def _s(self, v: float) -> int:
        return round(v * self.f)

    def rect(
        self,
        box: tuple[float, float, float, float],
        fill: Color | None = None,
        outline: Color | None = None,
        width: int = 1,
        radius: float = 0,
    ) -> None:
        """Rectangle [x0, y0, x1, y1] (logical), optionally rounded."""
        b = [self._s(v) for v in box]
        b[2], b[3] = max(b[2] - 1, b[0]), max(b[3] - 1, b[1])
        self.draw.rounded_rectangle(
            b, radius=self._s(radius), fill=fill, outline=outline, width=max(1, self._s(width))
        )

    def ellipse(
        self,
        box: tuple[float, float, float, float],
        fill: Color | None = None,
        outline: Color | None = None,
        width: int = 1,
    ) -> None:
        """Ellipse inside [x0, y0, x1, y1] (logical)."""
        self.draw.ellipse(
            [self._s(v) for v in box], fill=fill, outline=outline, width=max(1, self._s(width))
        )

    def line(self, pts: list[tuple[float, float]], fill: Color, width: float = 1) -> None:
        """Polyline (logical)."""
        self.draw.line(
            [(self._s(x), self._s(y)) for x, y in pts], fill=fill, width=max(1, self._s(width))
        )

    def length(self, s: str, name: str, size: float) -> float:
        """Advance width of `s` in logical pixels."""
        return font(name, self._s(size)).getlength(s) / self.f

    def text(
        self,
        xy: tuple[float, float],
        s: str,
        name: str,
        size: float,
        fill: Color,
        record: bool = True,
        anchor: str = "la",
    ) -> float:
        """Draw `s` at (x, y) (left, ascender); record its words; return the advance width."""
        ft = font(name, self._s(size))
        self.fonts_used.add(name)
        x, y = self._s(xy[0]), self._s(xy[1])
        if anchor != "la":
            bx = self.draw.textbbox((x, y), s, font=ft, anchor=anchor)
            ax = self.draw.textbbox((0, 0), s, font=ft, anchor="la")
            x, y = bx[0] - ax[0], bx[1] - ax[1]
        self.draw.text((x, y), s, font=ft, fill=fill, anchor="la")
        if record:
            self._record(x, y, s, ft)
        return ft.getlength(s) / self.f

    def record(self, xy: tuple[float, float], s: str, name: str, size: float) -> None:
        """Record the words of `s` as if drawn at (x, y) (when drawn token by token)."""
        self._record(self._s(xy[0]), self._s(xy[1]), s, font(name, self._s(size)))

    def _record(self, x: int, y: int, s: str, ft: ImageFont.FreeTypeFont) -> None:
        W, H = self.img.size
        for m in WORD.finditer(s):
            x0 = x + ft.getlength(s[: m.start()])
            b = self.draw.textbbox((x0, y), m.group(), font=ft, anchor="la")
            if b[0] < 0 or b[1] < 0 or b[2] > W or b[3] > H:
                continue
            box = [
                round(b[0] / self.ss),
                round(b[1] / self.ss),
                round(b[2] / self.ss),
                round(b[3] / self.ss),
            ]
            self.words.append({"text": m.group(), "box": box})

    def finish(self) -> Image.Image:
        """The final RGB image at output resolution."""
        return subpixel_reduce(self.img) if self.ss == 3 else self.img.copy()


def wrap(c: Canvas, text: str, name: str, size: float, max_w: float) -> list[str]:
    """Greedy word wrap of `text` to `max_w` logical pixels."""
    lines: list[str] = []
    cur = ""
    for w in text.split():
        cand = f"{cur} {w}" if cur else w
        if cur and c.length(cand, name, size) > max_w:
            lines.append(cur)
            cur = w
        else:
            cur = cand
    if cur:
        lines.append(cur)
    return lines


def hex2rgb(h: str) -> tuple[int, int, int]:
    """'#rrggbb' -> (r, g, b)."""
    h = h.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)

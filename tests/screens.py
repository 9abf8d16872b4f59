"""Small realistic screenshots rendered with real fonts, for tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

FONT_DIRS = [
    Path(__file__).parents[1] / "resources/fonts",
    Path("/usr/share/fonts/truetype/dejavu"),
]

LINES = [
    "The quick brown fox jumps over the lazy dog.",
    "Compression of screenshots keeps every word exact.",
    "Settings  Preferences  Network  Display  Sound",
    "Total: 1,234 items selected in 56 folders",
]


def _font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    for folder in FONT_DIRS:
        if (folder / name).exists():
            return ImageFont.truetype(str(folder / name), size)
    pytest.skip(f"font {name} not installed")


def render_screenshot(width: int = 720, height: int = 360, dark: bool = False) -> Image.Image:
    """A small UI-like screenshot: title bar, text lines, a button, a rule."""
    bg, fg = ((30, 32, 36), (220, 222, 226)) if dark else ((250, 250, 250), (20, 20, 20))
    image = Image.new("RGB", (width, height), bg)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, width, 32), fill=(45, 48, 56))
    draw.text((12, 8), "Document Viewer - report.txt", font=_font(15, True), fill=(235, 235, 235))
    y = 52
    for line in LINES:
        draw.text((20, y), line, font=_font(16), fill=fg)
        y += 30
    draw.line((20, y + 4, width - 20, y + 4), fill=(160, 160, 160), width=1)
    draw.rounded_rectangle((20, y + 20, 150, y + 52), radius=6, fill=(40, 110, 200))
    draw.text((44, y + 27), "Save file", font=_font(15), fill=(255, 255, 255))
    return image

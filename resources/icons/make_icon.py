"""Draws the app icon (a screen with text lines and a check mark) as PNG files and an SVG.

    .venv/bin/python resources/icons/make_icon.py
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

HERE = Path(__file__).parent
BLUE, DARK, WHITE, GREEN = (40, 110, 200), (24, 40, 72), (250, 250, 250), (40, 180, 90)


def draw(size: int) -> Image.Image:
    """The icon at `size` pixels, drawn at 4x and downsampled for smooth edges."""
    s = size * 4
    u = s / 64  # design grid: 64 units
    im = Image.new("RGBA", (s, s), (0, 0, 0, 0))
    d = ImageDraw.Draw(im)
    d.rounded_rectangle((2 * u, 2 * u, 62 * u, 62 * u), radius=12 * u, fill=BLUE)
    d.rounded_rectangle((10 * u, 13 * u, 54 * u, 47 * u), radius=3 * u, fill=WHITE)
    d.rectangle((10 * u, 13 * u, 54 * u, 19 * u), fill=DARK)
    for i, width in enumerate((34, 26, 30)):
        y = (24 + 6 * i) * u
        d.rounded_rectangle((15 * u, y, (15 + width) * u, y + 2.6 * u), radius=1.3 * u,
                            fill=DARK)
    d.ellipse((38 * u, 36 * u, 58 * u, 56 * u), fill=GREEN, outline=WHITE, width=int(2 * u))
    d.line([(42.5 * u, 46 * u), (46.5 * u, 50 * u), (53.5 * u, 42 * u)], fill=WHITE,
           width=int(2.6 * u), joint="curve")
    return im.resize((size, size), Image.Resampling.LANCZOS)


SVG = """<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64" width="64" height="64">
  <rect x="2" y="2" width="60" height="60" rx="12" fill="#286ec8"/>
  <rect x="10" y="13" width="44" height="34" rx="3" fill="#fafafa"/>
  <rect x="10" y="13" width="44" height="6" fill="#182848"/>
  <rect x="15" y="24" width="34" height="2.6" rx="1.3" fill="#182848"/>
  <rect x="15" y="30" width="26" height="2.6" rx="1.3" fill="#182848"/>
  <rect x="15" y="36" width="30" height="2.6" rx="1.3" fill="#182848"/>
  <circle cx="48" cy="46" r="10" fill="#28b45a" stroke="#fafafa" stroke-width="2"/>
  <polyline points="42.5,46 46.5,50 53.5,42" fill="none" stroke="#fafafa" stroke-width="2.6"
            stroke-linecap="round" stroke-linejoin="round"/>
</svg>
"""


def main() -> None:
    draw(256).save(HERE / "picd-desktop.png")
    for size in (16, 32, 48, 128):
        draw(size).save(HERE / f"picd-desktop-{size}.png")
    (HERE / "picd-desktop.svg").write_text(SVG, encoding="utf-8")


if __name__ == "__main__":
    main()

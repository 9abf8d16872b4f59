"""The shipped fontset: a fixed table font_id -> font file, verified by a sha256.

Fonts are loaded with Pillow's BASIC layout engine (no HarfBuzz/Raqm shaping) so that the
same text renders to the same pixels wherever the same FreeType runs. Every file appears twice:
ids 0..12 place glyphs with hinted (integer) advances, as GDI/GTK-with-hinting apps do; ids
13..25 ("fractional") place each glyph at its unhinted advance rounded to a pixel, as browsers
and HarfBuzz-based toolkits do, and ids 26..38 draw like 13..25 at 3x the size and average
3x3 blocks (unhinted, box-filtered shapes, as sub-pixel/ClearType and grayscale-unhinted
renderers give) (see `glyphs.word_bitmap`). `base_font_id` maps any id to its file's first.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

from PIL import ImageFont

from picd_desktop.format.errors import UnknownModelError
from picd_desktop.resources import resource_path

FONTSET_ID = "fonts-v2"


@dataclass(frozen=True)
class FontSpec:
    """One shipped font: file name in resources/fonts and coarse style tags."""

    file: str
    family: str
    bold: bool = False
    mono: bool = False
    serif: bool = False
    fractional: bool = False  # glyphs placed at unhinted advances (rounded), not hinted ones
    supersample: int = 1  # drawn at this many times the size, then averaged back


# Order is part of the file format: never reorder, only append in a new FONTSET_ID.
_HINTED: tuple[FontSpec, ...] = (
    FontSpec("DejaVuSans.ttf", "DejaVu Sans"),
    FontSpec("DejaVuSans-Bold.ttf", "DejaVu Sans", bold=True),
    FontSpec("DejaVuSansMono.ttf", "DejaVu Sans Mono", mono=True),
    FontSpec("DejaVuSansMono-Bold.ttf", "DejaVu Sans Mono", bold=True, mono=True),
    FontSpec("DejaVuSerif.ttf", "DejaVu Serif", serif=True),
    FontSpec("LiberationSans-Regular.ttf", "Liberation Sans"),
    FontSpec("LiberationSans-Bold.ttf", "Liberation Sans", bold=True),
    FontSpec("LiberationSerif-Regular.ttf", "Liberation Serif", serif=True),
    FontSpec("LiberationMono-Regular.ttf", "Liberation Mono", mono=True),
    FontSpec("Roboto-Regular.ttf", "Roboto"),
    FontSpec("Roboto-Medium.ttf", "Roboto", bold=True),
    FontSpec("OpenSans-Regular.ttf", "Open Sans"),
    FontSpec("OpenSans-Semibold.ttf", "Open Sans", bold=True),
)
FONTS: tuple[FontSpec, ...] = (
    _HINTED
    + tuple(replace(f, fractional=True) for f in _HINTED)
    + tuple(replace(f, fractional=True, supersample=3) for f in _HINTED)
)
N_FILES = len(_HINTED)

# sha256 over the font files' bytes, concatenated in id order (each file thrice since fonts-v2).
FONTSET_SHA256 = "9710d20bc129a27d65b9bdfc97a49898b173bbc3b05a0516f6459995dff772a3"

MIN_FONT_SIZE = 4
MAX_FONT_SIZE = 400


def font_ids() -> range:
    """All valid font ids."""
    return range(len(FONTS))


def base_font_id(font_id: int) -> int:
    """The hinted id (0..N_FILES-1) of the same font file."""
    return font_id % N_FILES


def font_twins(font_id: int) -> tuple[int, ...]:
    """All ids that draw the file of `font_id` (hinted, fractional, supersampled)."""
    base = base_font_id(font_id)
    return tuple(range(base, len(FONTS), N_FILES))


def font_path(font_id: int) -> Path:
    """Path of a shipped font file; UnknownModelError for an unknown id."""
    if not 0 <= font_id < len(FONTS):
        raise UnknownModelError(f"font id {font_id} is not in fontset {FONTSET_ID}")
    return resource_path("fonts", FONTS[font_id].file)


def compute_fontset_sha256() -> str:
    """sha256 of the shipped font files in id order (what FONTSET_SHA256 must equal)."""
    digest = hashlib.sha256()
    for font_id in font_ids():
        try:
            digest.update(font_path(font_id).read_bytes())
        except OSError as exc:
            raise UnknownModelError(f"fontset {FONTSET_ID}: cannot read {exc.filename}") from exc
    return digest.hexdigest()


@cache
def verify_fontset() -> None:
    """Check that the installed font files are exactly fontset FONTSET_ID."""
    actual = compute_fontset_sha256()
    if actual != FONTSET_SHA256:
        raise UnknownModelError(
            f"fontset {FONTSET_ID}: installed fonts hash to {actual}, expected {FONTSET_SHA256}"
        )


def check_fontset(fontset_id: str, sha256: str) -> None:
    """Raise UnknownModelError unless (fontset_id, sha256) names the shipped fontset."""
    if fontset_id != FONTSET_ID or sha256 != FONTSET_SHA256:
        raise UnknownModelError(
            f"the file needs fontset {fontset_id} ({sha256[:12]}...), "
            f"this installation has {FONTSET_ID} ({FONTSET_SHA256[:12]}...)"
        )
    verify_fontset()


@cache
def load_font(font_id: int, size: int) -> ImageFont.FreeTypeFont:
    """The font `font_id` at `size` px (cached), after verifying the fontset once."""
    if not MIN_FONT_SIZE <= size <= MAX_FONT_SIZE:
        raise UnknownModelError(f"font size {size} outside [{MIN_FONT_SIZE}, {MAX_FONT_SIZE}]")
    verify_fontset()
    return ImageFont.truetype(
        str(font_path(font_id)), size, layout_engine=ImageFont.Layout.BASIC
    )

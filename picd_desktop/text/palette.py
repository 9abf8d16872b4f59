"""Snap the lines' colours to a small per-image palette (the text coder pays for colour jitter).

OCR measures each line's fg/bg from its own pixels, so one UI colour comes out as several
values a level or two apart. Colours are taken most frequent first; a colour within `tol`
levels (every channel) of one already kept takes that one.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from picd_desktop.text.layer import RGB, Block, TextLayer

PALETTE_TOL = 6  # levels per channel


def build_palette(colours: list[RGB], tol: int = PALETTE_TOL) -> dict[RGB, RGB]:
    """colour -> its palette colour (the most frequent kept colour within `tol`)."""
    kept: list[RGB] = []
    mapping: dict[RGB, RGB] = {}
    for colour, _ in sorted(Counter(colours).items(), key=lambda kv: (-kv[1], kv[0])):
        near = [k for k in kept if max(abs(a - b) for a, b in zip(k, colour, strict=True)) <= tol]
        if near:
            mapping[colour] = min(
                near, key=lambda k: sum(abs(a - b) for a, b in zip(k, colour, strict=True))
            )
        else:
            kept.append(colour)
            mapping[colour] = colour
    return mapping


def snap_colours(layer: TextLayer, tol: int = PALETTE_TOL) -> TextLayer:
    """The layer with every line's fg and bg replaced by its palette colour."""
    colours = [c for line in layer.lines() for c in (line.fg, line.bg)]
    if not colours:
        return layer
    mapping = build_palette(colours, tol)
    blocks = tuple(
        Block(lines=tuple(
            replace(line, fg=mapping[line.fg], bg=mapping[line.bg]) for line in block.lines
        ))
        for block in layer.blocks
    )
    return replace(layer, blocks=blocks)

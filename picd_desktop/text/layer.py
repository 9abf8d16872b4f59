"""The text layer: what OCR found, where it stands and how to draw it.

Coordinates are integer pixels of the original image; x1/y1 are exclusive. A `Line` carries
everything the glyph renderer needs (one font and size per line, baseline, colours); its words
only carry their text and horizontal extent. `Word.drawn` is decided by the encoder: words it
could not verify are kept for search but never drawn, so the base layer shows them instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

RGB = tuple[int, int, int]
Box = tuple[int, int, int, int]  # x0, y0, x1, y1 (exclusive)


@dataclass(frozen=True)
class Word:
    """One word: its exact text and horizontal extent inside its line."""

    text: str
    x0: int
    x1: int
    drawn: bool = True


@dataclass(frozen=True)
class Line:
    """A line of words sharing one font, size, baseline and colour pair."""

    y0: int
    y1: int
    baseline: int
    font_id: int
    font_size: int
    fg: RGB
    bg: RGB
    words: tuple[Word, ...]

    @property
    def box(self) -> Box:
        """The bounding box of the line's words."""
        return (min(w.x0 for w in self.words), self.y0, max(w.x1 for w in self.words), self.y1)

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    def word_box(self, word: Word) -> Box:
        return (word.x0, self.y0, word.x1, self.y1)


@dataclass(frozen=True)
class Block:
    """A block (paragraph, column, widget) of lines in reading order."""

    lines: tuple[Line, ...]


@dataclass(frozen=True)
class TextLayer:
    """All text of one image. An image without text has an empty `blocks`."""

    width: int
    height: int
    lang: str = "eng"
    blocks: tuple[Block, ...] = field(default_factory=tuple)

    def lines(self) -> Iterator[Line]:
        for block in self.blocks:
            yield from block.lines

    def words(self) -> Iterator[tuple[Line, Word]]:
        for line in self.lines():
            for word in line.words:
                yield line, word

    @property
    def text(self) -> str:
        """Plain text: lines joined by newlines, blocks by blank lines."""
        return "\n\n".join("\n".join(line.text for line in block.lines) for block in self.blocks)

    @property
    def word_count(self) -> int:
        return sum(len(line.words) for line in self.lines())

"""The renderer interface: base image + glyph image + text layer -> final picture."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, runtime_checkable

from PIL import Image

from picd_desktop.text.layer import TextLayer

# progress(step, total, preview): called after each step with the current estimate.
ProgressFn = Callable[[int, int, Image.Image], None]
# cancel(): returns True when the caller wants the render to stop (raise Cancelled).
CancelFn = Callable[[], bool]


@runtime_checkable
class Renderer(Protocol):
    """Produces the final RGB image from the decoded layers."""

    name: str

    def render(
        self,
        base: Image.Image,
        glyphs: Image.Image,
        layer: TextLayer,
        *,
        progress: ProgressFn | None = None,
        cancel: CancelFn | None = None,
    ) -> Image.Image:
        """`base` is RGB, `glyphs` is RGBA (text drawn in its colours, alpha = coverage)."""
        ...

"""The composite renderer: the glyph image alpha-composited over the decoded base."""

from __future__ import annotations

from PIL import Image

from picd_desktop.format.errors import Cancelled
from picd_desktop.render.renderer import CancelFn, ProgressFn
from picd_desktop.text.layer import TextLayer


class CompositeRenderer:
    """Draws the text layer's glyphs over the base image (one step, deterministic)."""

    name = "composite"

    def render(
        self,
        base: Image.Image,
        glyphs: Image.Image,
        layer: TextLayer,
        *,
        progress: ProgressFn | None = None,
        cancel: CancelFn | None = None,
    ) -> Image.Image:
        """`base` RGB and `glyphs` RGBA of the layer's size -> RGB."""
        if cancel is not None and cancel():
            raise Cancelled("rendering cancelled")
        size = (layer.width, layer.height)
        if base.size != size or glyphs.size != size:
            raise ValueError(f"base {base.size} and glyphs {glyphs.size} must be {size}")
        if glyphs.getbbox(alpha_only=True) is None:
            result = base.convert("RGB")
        else:
            result = Image.alpha_composite(base.convert("RGBA"), glyphs.convert("RGBA"))
            result = result.convert("RGB")
        if progress is not None:
            progress(1, 1, result)
        return result

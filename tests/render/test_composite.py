"""The composite renderer and the renderer registry."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from picd_desktop.format.errors import Cancelled
from picd_desktop.render.composite import CompositeRenderer
from picd_desktop.render.registry import available_renderers, get_renderer, register
from picd_desktop.text.glyphs import draw_glyphs
from picd_desktop.text.layer import Block, Line, TextLayer, Word


def _base(size: tuple[int, int] = (120, 40)) -> Image.Image:
    rng = np.random.default_rng(0)
    return Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8), "RGB")


def test_empty_layer_renders_the_base_itself() -> None:
    base = _base()
    layer = TextLayer(width=120, height=40)
    calls = []
    out = CompositeRenderer().render(
        base, draw_glyphs(layer), layer, progress=lambda s, t, im: calls.append((s, t, im))
    )
    assert out.mode == "RGB" and out.tobytes() == base.tobytes()
    assert len(calls) == 1 and calls[0][:2] == (1, 1) and calls[0][2] is out


def test_glyphs_cover_the_base_in_their_colour() -> None:
    line = Line(y0=5, y1=35, baseline=30, font_id=1, font_size=26, fg=(250, 10, 10),
                bg=(255, 255, 255), words=(Word("Hello", 5, 90),))
    layer = TextLayer(width=120, height=40, blocks=(Block((line,)),))
    glyphs = draw_glyphs(layer)
    out = np.asarray(CompositeRenderer().render(_base(), glyphs, layer))
    solid = np.asarray(glyphs)[..., 3] == 255
    assert solid.sum() > 50
    assert (out[solid] == (250, 10, 10)).all()
    clear = np.asarray(glyphs)[..., 3] == 0
    assert (out[clear] == np.asarray(_base())[clear]).all()


def test_cancel_raises_before_work() -> None:
    layer = TextLayer(width=120, height=40)
    with pytest.raises(Cancelled):
        CompositeRenderer().render(_base(), draw_glyphs(layer), layer, cancel=lambda: True)
    out = CompositeRenderer().render(_base(), draw_glyphs(layer), layer, cancel=lambda: False)
    assert out.size == (120, 40)


def test_size_mismatch_is_a_value_error() -> None:
    layer = TextLayer(width=60, height=40)
    with pytest.raises(ValueError):
        CompositeRenderer().render(_base(), draw_glyphs(layer), layer)


def test_registry() -> None:
    assert "composite" in available_renderers()
    renderer = get_renderer("composite")
    assert renderer.name == "composite" and isinstance(renderer, CompositeRenderer)
    with pytest.raises(ValueError, match="composite"):
        get_renderer("no-such-renderer")
    register("test-dummy", lambda **opts: CompositeRenderer())
    assert "test-dummy" in available_renderers()
    assert isinstance(get_renderer("test-dummy", steps=3), CompositeRenderer)

"""The diffusion renderer's parts: model, schedule, tiles, pipeline (small random nets)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw

from picd_desktop.format.errors import Cancelled
from picd_desktop.render.diffusion.model import RenderNet, RenderNetConfig, anchor_image
from picd_desktop.render.diffusion.pipeline import (
    DiffusionPipeline,
    RenderSettings,
    _drop_small_changes,
)
from picd_desktop.render.diffusion.scheduler import make_scheduler, sampling_timesteps
from picd_desktop.render.diffusion.tensors import glyph_tensor, image_tensor, to_image
from picd_desktop.render.diffusion.tiles import Blender, active_tiles, plan_axis, plan_tiles
from picd_desktop.text.layer import Block, Line, TextLayer, Word

SMALL = RenderNetConfig(widths=(8, 16, 16), cond_width=8, t_dim=16)


def _net(cfg: RenderNetConfig = SMALL, seed: int = 0) -> RenderNet:
    """A small net whose output layer is not zero (so it changes the picture)."""
    torch.manual_seed(seed)
    net = RenderNet(cfg)
    torch.nn.init.normal_(net.out.weight, std=0.05)
    for block in [*(b for bs in net.down_blocks for b in bs), *net.up_blocks]:
        torch.nn.init.normal_(block.conv2.weight, std=0.05)
    return net.eval()


def _layer(width: int, height: int, drawn: bool = True) -> TextLayer:
    line = Line(y0=10, y1=30, baseline=26, font_id=0, font_size=16, fg=(0, 0, 0),
                bg=(255, 255, 255), words=(Word("Hello", 10, 60, drawn), Word("world", 70, 120,
                                                                              drawn)))
    return TextLayer(width=width, height=height, blocks=(Block(lines=(line,)),))


def _inputs(width: int = 150, height: int = 90) -> tuple[Image.Image, Image.Image]:
    base = Image.new("RGB", (width, height), (240, 240, 240))
    ImageDraw.Draw(base).rectangle((5, 40, 100, 80), outline=(20, 20, 200), width=2)
    glyphs = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    ImageDraw.Draw(glyphs).text((10, 12), "Hello world", fill=(0, 0, 0, 255))
    return base, glyphs


def test_untrained_output_layer_gives_back_the_anchor():
    net = RenderNet(SMALL).eval()
    x = torch.rand(1, 3, 32, 48) * 2 - 1
    anchor = torch.rand(1, 3, 32, 48) * 2 - 1
    with torch.no_grad():
        y = net(x, torch.tensor([100]), torch.tensor([0]), x, torch.zeros(1, 4, 32, 48), anchor)
    assert torch.equal(y, anchor)


def test_anchor_is_the_alpha_composite():
    base, glyphs = _inputs()
    got = to_image(anchor_image(image_tensor(base), glyph_tensor(glyphs)))
    want = Image.alpha_composite(base.convert("RGBA"), glyphs).convert("RGB")
    assert np.abs(np.asarray(got, int) - np.asarray(want, int)).max() <= 1


def test_model_without_glyphs_refuses_none_and_ignores_nothing():
    cfg = RenderNetConfig(widths=(8, 16), cond_width=8, t_dim=16, glyphs=False)
    net = RenderNet(cfg)
    x = torch.zeros(2, 3, 16, 16)
    y = net(x, torch.tensor([1, 2]), torch.tensor([0, 1]), x, None, x)
    assert y.shape == x.shape
    with pytest.raises(ValueError, match="glyph"):
        RenderNet(SMALL)(x, torch.tensor([1, 2]), torch.tensor([0, 1]), x, None, x)


def test_sampling_timesteps_descend_and_last_step_returns_the_estimate():
    sched = make_scheduler()
    ts = sampling_timesteps(sched, 4, 0.4)
    assert ts == sorted(ts, reverse=True) and len(ts) == 4 and ts[0] <= 400
    x = torch.randn(1, 3, 8, 8)
    x0 = torch.randn(1, 3, 8, 8)
    for t in ts[:-1]:
        sched.step(x0, t, x)
    assert torch.allclose(sched.step(x0, ts[-1], x).prev_sample, x0, atol=1e-6)
    with pytest.raises(ValueError):
        sampling_timesteps(sched, 0, 0.4)
    with pytest.raises(ValueError):
        sampling_timesteps(sched, 2, 0.9)


@pytest.mark.parametrize("length", [1, 7, 100, 383, 384, 700, 1080, 1920, 3840])
def test_tiles_cover_every_pixel_with_overlap(length):
    size, starts = plan_axis(length, 384, 32, 8)
    assert size % 8 == 0 and starts[0] == 0
    assert starts[-1] + size >= length
    for a, b in zip(starts, starts[1:], strict=False):
        assert a + size - b >= 32  # overlap


def test_blending_constant_tiles_is_seamless():
    (h, w), tiles = plan_tiles(200, 300, 96, 16, 8)
    blend = Blender((1, 3, h, w), tiles[0], 16, "cpu")
    for t in tiles:
        blend.add(t, torch.full((1, 3, t.height, t.width), 0.25))
    assert torch.allclose(blend.result(), torch.tensor(0.25), atol=1e-6)


def test_flat_tiles_are_skipped_and_text_tiles_are_not():
    (h, w), tiles = plan_tiles(200, 400, 96, 16, 8)
    anchor = torch.zeros(1, 3, h, w)
    coverage = torch.zeros(1, 1, h, w)
    coverage[..., 10:20, 10:30] = 1  # glyphs in the first tile only
    act = active_tiles(anchor, coverage, tiles)
    assert act[0] and not any(act[1:])
    anchor[..., 150:, 350:] = 1  # an edge in the last tile
    assert active_tiles(anchor, coverage, tiles)[-1]


def test_pipeline_previews_each_step_and_is_seeded():
    base, glyphs = _inputs()
    layer = _layer(*base.size)
    pipe = DiffusionPipeline(_net())
    seen = []
    a = pipe(base, glyphs, layer, RenderSettings(steps=3, seed=1),
             callback_on_step_end=lambda k, n, x: seen.append((k, n, tuple(x.shape))))
    assert seen == [(1, 3, (1, 3, 90, 150)), (2, 3, (1, 3, 90, 150)), (3, 3, (1, 3, 90, 150))]
    b = pipe(base, glyphs, layer, RenderSettings(steps=3, seed=1))
    c = pipe(base, glyphs, layer, RenderSettings(steps=3, seed=2))
    assert a.size == base.size and a.mode == "RGB"
    assert np.array_equal(np.asarray(a), np.asarray(b))
    assert not np.array_equal(np.asarray(a), np.asarray(c))


def test_pipeline_keeps_undrawn_words_and_flat_images_exact():
    base, glyphs = _inputs()
    layer = _layer(*base.size, drawn=False)
    pipe = DiffusionPipeline(_net())
    out = np.asarray(pipe(base, Image.new("RGBA", base.size), layer, RenderSettings(steps=2)))
    b = np.asarray(base)
    for x0, x1 in ((10, 60), (70, 120)):  # the undrawn words' boxes
        assert np.array_equal(out[10:30, x0:x1], b[10:30, x0:x1])
    assert not np.array_equal(out[38:82, 3:102], b[38:82, 3:102])  # the rectangle is rendered
    flat = Image.new("RGB", (64, 40), (30, 60, 90))
    empty = TextLayer(width=64, height=40, blocks=())
    out = pipe(flat, Image.new("RGBA", flat.size), empty, RenderSettings(steps=2))
    assert np.array_equal(np.asarray(out), np.asarray(flat))


def test_pipeline_keeps_drawn_glyphs_and_drops_small_changes():
    base, glyphs = _inputs()
    layer = _layer(*base.size)
    pipe = DiffusionPipeline(_net())
    anchor = np.asarray(to_image(anchor_image(image_tensor(base), glyph_tensor(glyphs))))
    drawn = np.asarray(glyphs)[..., 3] > 0
    free = np.asarray(pipe(base, glyphs, layer,
                           RenderSettings(steps=2, keep_glyphs=False, min_change=0)))
    assert not np.array_equal(free[drawn], anchor[drawn])
    kept = np.asarray(pipe(base, glyphs, layer, RenderSettings(steps=2, min_change=0)))
    assert np.array_equal(kept[drawn], anchor[drawn])
    assert not np.array_equal(kept[~drawn], anchor[~drawn])
    floor = np.asarray(pipe(base, glyphs, layer,
                            RenderSettings(steps=2, min_change=6, change_window=1)))
    moved = np.abs(floor.astype(int) - anchor).max(axis=2)
    assert moved.max() >= 6 and not ((moved > 0) & (moved < 5)).any()  # 1 level of rounding
    small = (np.abs(kept.astype(int) - anchor).max(axis=2) < 5) & ~drawn
    assert small.any() and np.array_equal(floor[small], anchor[small])


def test_pipeline_can_keep_whole_boxes_of_drawn_words():
    base, glyphs = _inputs()
    layer = _layer(*base.size)
    pipe = DiffusionPipeline(_net())
    anchor = np.asarray(to_image(anchor_image(image_tensor(base), glyph_tensor(glyphs))))
    boxes = np.zeros(anchor.shape[:2], bool)
    for x0, x1 in ((10, 60), (70, 120)):  # the drawn words' boxes
        boxes[10:30, x0:x1] = True
    settings = RenderSettings(steps=2, min_change=0)
    glyph_only = np.asarray(pipe(base, glyphs, layer, settings))
    assert not np.array_equal(glyph_only[boxes], anchor[boxes])  # around the glyphs
    words = np.asarray(pipe(base, glyphs, layer, replace(settings, keep_drawn_words=True)))
    assert np.array_equal(words[boxes], anchor[boxes])
    assert not np.array_equal(words[~boxes], anchor[~boxes])


def test_windowed_change_drops_speckles_and_keeps_coherent_changes():
    anchor = torch.zeros(1, 3, 12, 12)
    x0 = anchor.clone()
    x0[..., 2, 2] = 10 / 127.5  # an isolated speckle of 10 levels
    x0[..., 5:10, 5:10] = 6 / 127.5  # a coherent 5x5 change of 6 levels
    per_pixel = _drop_small_changes(x0, anchor, 4.0, window=1)
    assert torch.equal(per_pixel, x0)
    windowed = _drop_small_changes(x0, anchor, 4.0, window=3)
    assert float(windowed[..., 2, 2].abs().max()) == 0.0
    assert torch.equal(windowed[..., 6:9, 6:9], x0[..., 6:9, 6:9])
    assert float(windowed[..., 5, 5].abs().max()) == 0.0  # a corner sees 4 of 9 moved
    assert torch.equal(_drop_small_changes(x0, anchor, 0.0, window=3), x0)
    with pytest.raises(ValueError, match="odd"):
        _drop_small_changes(x0, anchor, 4.0, window=2)


def test_pipeline_cancels_between_steps():
    base, glyphs = _inputs()
    layer = _layer(*base.size)
    calls = []

    def cancel() -> bool:
        calls.append(1)
        return len(calls) > 3

    with pytest.raises(Cancelled):
        DiffusionPipeline(_net())(base, glyphs, layer, RenderSettings(steps=4), cancel=cancel)


def test_recompress_guidance_pulls_the_estimate_to_the_anchor():
    from picd_desktop.render.diffusion.guidance import GuidanceConfig, Guide, recompress_loss

    anchor = torch.rand(1, 3, 30, 30) * 2 - 1
    x = anchor + 0.3 * torch.randn_like(anchor)
    guide = Guide(GuidanceConfig(recompress=0.05, iters=3), _layer(30, 30), anchor)
    assert recompress_loss(guide.refine(x), anchor) < recompress_loss(x, anchor)


def test_bridge_target_goes_from_the_clean_image_to_the_anchor():
    from picd_desktop.render.diffusion.scheduler import T_BRIDGE, bridge_target

    x0, anchor = torch.zeros(3, 3, 4, 4), torch.ones(3, 3, 4, 4)
    out = bridge_target(x0, anchor, torch.tensor([0, T_BRIDGE // 2, T_BRIDGE + 100]))
    assert out[0].max() == 0 and torch.allclose(out[1], torch.tensor(0.5)) and out[2].min() == 1

"""The rendering pipeline: model + scheduler + tiles + optional guidance, with step previews.

A thin composition in the manner of diffusers' pipelines: the anchor (glyphs over the base)
is noised to `strength`, then each of `steps` DDIM steps runs the network over the active
tiles, blends the clean-image estimates E[x0 | x_t], optionally refines them by guidance,
and calls `callback_on_step_end(step, total, estimate)`. Seeded noise is drawn on the CPU, so
a render is reproducible for a given seed on a given device.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from PIL import Image

from picd_desktop.format.errors import Cancelled
from picd_desktop.render.diffusion.guidance import GuidanceConfig, Guide
from picd_desktop.render.diffusion.model import DOMAINS, RenderNet, anchor_image
from picd_desktop.render.diffusion.scheduler import make_scheduler, sampling_timesteps
from picd_desktop.render.diffusion.tensors import glyph_tensor, image_tensor, to_image
from picd_desktop.render.diffusion.tiles import Blender, active_tiles, plan_tiles
from picd_desktop.text.layer import TextLayer
from picd_desktop.text.photo import is_photo_like

StepCallback = Callable[[int, int, torch.Tensor], None]


@dataclass(frozen=True)
class RenderSettings:
    """Sampling settings (defaults are the shipped ones; see bench/results/diffusion.md)."""

    # the last 2 of the trailing schedule t = 399, 299, 199, 99: on the val screens 1, 2, 3 and
    # 4 of them tie (bench/results/diffusion_tune_steps.md); 2 is the fewest with a preview
    steps: int = 2
    strength: float = 0.2
    seed: int = 0
    tile: int = 384  # target tile side; tiles are spread evenly, all of one size
    overlap: int = 32
    batch: int = 4
    protect_undrawn: bool = True  # words the layer does not draw keep the base's pixels
    keep_glyphs: bool = True  # unguided: drawn glyph pixels stay the anchor's (exact text)
    keep_drawn_words: bool = False  # unguided: whole boxes of drawn words stay the anchor's
    min_change: float = 4.0  # final pixels whose change (of 255) is smaller keep the anchor's
    change_window: int = 3  # the change is averaged over this square first (1: per pixel)
    guidance: GuidanceConfig = field(default_factory=GuidanceConfig)


class DiffusionPipeline:
    """Renders (base, glyphs, layer) -> RGB with a RenderNet on `device`."""

    def __init__(self, net: RenderNet, device: str | torch.device = "cpu") -> None:
        self.device = torch.device(device)
        self.net = net.to(self.device)
        self.scheduler = make_scheduler()

    @torch.no_grad()
    def __call__(self, base: Image.Image, glyphs: Image.Image, layer: TextLayer,
                 settings: RenderSettings = RenderSettings(), *,
                 callback_on_step_end: StepCallback | None = None,
                 cancel: Callable[[], bool] | None = None) -> Image.Image:
        def check() -> None:
            if cancel is not None and cancel():
                raise Cancelled("rendering cancelled")

        check()
        dev, net = self.device, self.net
        width, height = base.size
        (ph, pw), tiles = plan_tiles(height, width, settings.tile, settings.overlap,
                                     net.cfg.multiple)
        pad = (0, pw - width, 0, ph - height)
        base_t = torch.nn.functional.pad(image_tensor(base), pad, mode="replicate").to(dev)
        glyph_t = torch.nn.functional.pad(glyph_tensor(glyphs), pad, value=-1.0).to(dev)
        g = glyph_t if net.cfg.glyphs else None
        anchor = anchor_image(base_t, g)
        full_anchor = anchor_image(base_t, glyph_t)
        domain = torch.tensor([DOMAINS.index("photo" if is_photo_like(base) else "screen")],
                              device=dev)
        active = active_tiles(full_anchor, (glyph_t[:, 3:4] + 1) / 2, tiles)
        run = [t for t, a in zip(tiles, active, strict=True) if a]
        cond = {}
        for i in range(0, len(run), settings.batch):
            chunk = run[i:i + settings.batch]
            feats = net.encode_condition(
                torch.cat([base_t[(..., *t.slices())] for t in chunk]),
                None if g is None else torch.cat([g[(..., *t.slices())] for t in chunk]))
            for j, t in enumerate(chunk):
                cond[t] = [f[j:j + 1] for f in feats]
            check()
        guide = Guide(settings.guidance, layer, full_anchor) if settings.guidance.on else None
        keep_drawn = settings.keep_drawn_words and guide is None and g is not None
        protect = _protect_mask(layer, (ph, pw), dev, undrawn=settings.protect_undrawn,
                                drawn=keep_drawn)
        if settings.keep_glyphs and guide is None and g is not None:  # guidance refines them
            drawn = glyph_t[:, 3:4] > -1.0
            protect = drawn if protect is None else protect | drawn

        gen = torch.Generator().manual_seed(settings.seed)
        noise = torch.randn(anchor.shape, generator=gen).to(dev)
        timesteps = sampling_timesteps(self.scheduler, settings.steps, settings.strength)
        x = self.scheduler.add_noise(anchor, noise, torch.tensor([timesteps[0]]))
        x0 = anchor
        for k, t in enumerate(timesteps):
            check()
            blend = Blender(anchor.shape, tiles[0], settings.overlap, dev)
            for tile, on in zip(tiles, active, strict=True):
                if not on:
                    blend.add(tile, anchor[(..., *tile.slices())])
            for i in range(0, len(run), settings.batch):
                chunk = run[i:i + settings.batch]
                n = len(chunk)
                feats = [torch.cat([cond[tile][lv] for tile in chunk])
                         for lv in range(len(net.cfg.widths))]
                est = net.denoise(torch.cat([x[(..., *tile.slices())] for tile in chunk]),
                                  torch.full((n,), t, device=dev), domain.expand(n), feats,
                                  torch.cat([anchor[(..., *tile.slices())] for tile in chunk]))
                for j, tile in enumerate(chunk):
                    blend.add(tile, est[j:j + 1])
                check()
            x0 = blend.result().clamp(-1, 1)
            if guide is not None:
                with torch.enable_grad():
                    x0 = guide.refine(x0).clamp(-1, 1)
            if protect is not None:
                x0 = torch.where(protect, anchor, x0)
            x = self.scheduler.step(x0, t, x).prev_sample
            if callback_on_step_end is not None:
                callback_on_step_end(k + 1, len(timesteps), x0[..., :height, :width])
        out = _drop_small_changes(x0, anchor, settings.min_change, settings.change_window)
        return to_image(out[..., :height, :width])


def _drop_small_changes(x0: torch.Tensor, anchor: torch.Tensor, levels: float,
                        window: int = 1) -> torch.Tensor:
    """`x0` where its change from `anchor` (largest channel, of 255), averaged over a
    `window` x `window` square, is at least `levels`; else the anchor. The sampler leaves a
    faint, speckled noise floor over flat areas that is not restoration; restoration moves
    pixels together (bench/results/render_filter_probe.md, diffusion_tune.md)."""
    if window < 1 or window % 2 == 0:
        raise ValueError(f"change_window must be odd and >= 1, got {window}")
    if levels <= 0:
        return x0
    change = (x0 - anchor).abs().amax(dim=1, keepdim=True) * 127.5
    if window > 1:
        change = torch.nn.functional.avg_pool2d(change, window, stride=1, padding=window // 2,
                                                count_include_pad=False)
    return torch.where(change >= levels, x0, anchor)


def _protect_mask(layer: TextLayer, shape: tuple[int, int], device: torch.device,
                  margin: int = 2, *, undrawn: bool = True, drawn: bool = False
                  ) -> torch.Tensor | None:
    """(1, 1, H, W) True over the boxes of the words the layer does not draw (`undrawn`) and of
    those it draws (`drawn`): their pixels stay the anchor's. None when no box is chosen."""
    mask = torch.zeros((1, 1, *shape), dtype=torch.bool)
    any_word = False
    for line, word in layer.words():
        if not word.text or not (drawn if word.drawn else undrawn):
            continue
        x0, y0, x1, y1 = word.x0, line.y0, word.x1, line.y1
        mask[..., max(0, y0 - margin):y1 + margin, max(0, x0 - margin):x1 + margin] = True
        any_word = True
    return mask.to(device) if any_word else None

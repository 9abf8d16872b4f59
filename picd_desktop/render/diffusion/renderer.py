"""`DiffusionRenderer`: the Renderer interface over the diffusion pipeline and shipped weights."""

from __future__ import annotations

from dataclasses import replace

import torch
from PIL import Image

from picd_desktop.render.diffusion.guidance import GuidanceConfig
from picd_desktop.render.diffusion.pipeline import DiffusionPipeline, RenderSettings
from picd_desktop.render.diffusion.scheduler import NUM_TRAIN_TIMESTEPS, T_TRAIN_MAX
from picd_desktop.render.diffusion.tensors import to_image
from picd_desktop.render.diffusion.weights import DEFAULT_MODEL, load_render_net
from picd_desktop.render.renderer import CancelFn, ProgressFn
from picd_desktop.text.layer import TextLayer


def resolve_device(device: str) -> torch.device:
    """"auto" -> CUDA when available, else CPU; "cuda" without CUDA is a ValueError."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError("device 'cuda' requested but no CUDA GPU is available")
    if device.split(":")[0] not in ("cpu", "cuda"):
        raise ValueError(f"unknown device {device!r} (auto, cpu or cuda)")
    return torch.device(device)


def strength_for_steps(steps: int) -> float:
    """The strength that keeps the default's spacing of the time steps: `steps` steps end in
    the trailing schedule's t = ..., 199, 99, which training saw, up to its largest t (steps
    beyond that subdivide [0, T_TRAIN_MAX))."""
    shipped = RenderSettings()
    spacing = shipped.strength / shipped.steps
    return round(min(T_TRAIN_MAX / NUM_TRAIN_TIMESTEPS, max(1, steps) * spacing), 6)


class DiffusionRenderer:
    """Few-step conditional diffusion from the base and glyph images (previews every step)."""

    name = "diffusion"

    def __init__(self, *, device: str = "auto", steps: int | None = None,
                 guidance: bool | GuidanceConfig = False, seed: int = 0,
                 strength: float | None = None, model: str = DEFAULT_MODEL) -> None:
        self.device = resolve_device(device)
        settings = RenderSettings(seed=seed)
        if steps is not None:
            settings = replace(settings, steps=int(steps))
            if strength is None:
                strength = strength_for_steps(int(steps))
        if strength is not None:
            settings = replace(settings, strength=float(strength))
        if guidance is True:
            settings = replace(settings, guidance=GuidanceConfig.default_on())
        elif isinstance(guidance, GuidanceConfig):
            settings = replace(settings, guidance=guidance)
        self.settings = settings
        self.pipeline = DiffusionPipeline(load_render_net(model), self.device)

    def render(self, base: Image.Image, glyphs: Image.Image, layer: TextLayer, *,
               progress: ProgressFn | None = None,
               cancel: CancelFn | None = None) -> Image.Image:
        """`base` RGB and `glyphs` RGBA of the layer's size -> RGB."""
        size = (layer.width, layer.height)
        if base.size != size or glyphs.size != size:
            raise ValueError(f"base {base.size} and glyphs {glyphs.size} must be {size}")

        def on_step(step: int, total: int, estimate: torch.Tensor) -> None:
            if progress is not None:
                progress(step, total, to_image(estimate))

        return self.pipeline(base, glyphs, layer, self.settings, callback_on_step_end=on_step,
                             cancel=cancel)

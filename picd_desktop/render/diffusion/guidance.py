"""Instance-level guidance: after each step, gradient steps on the clean-image estimate.

Two losses, as in PICD:
- OCR: a differentiable PP-OCR recogniser reads each drawn line of the estimate and of the
  reference (the glyphs over the base); their disagreement is the loss (`ocr_loss.py`).
- Re-compression: the estimate, coded again, should give back what was decoded. The default
  base codec is AVIF at 1/3-1/4 scale plus exactly coded text, so its faithful differentiable
  proxy is the image's low-pass at 1/RECOMPRESS_SCALE scale (box filter), which must match the
  anchor's.

Each loss's gradient is normalised to unit RMS and scaled by its strength, so strengths are
in image units ([-1, 1] per pixel and iteration) and independent of the losses' scales.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from picd_desktop.text.layer import TextLayer

RECOMPRESS_SCALE = 3


@dataclass(frozen=True)
class GuidanceConfig:
    """Strengths of the two guidance terms (0 = off) and iterations per step."""

    ocr: float = 0.0
    recompress: float = 0.0
    iters: int = 1

    @property
    def on(self) -> bool:
        return self.ocr > 0 or self.recompress > 0

    @classmethod
    def default_on(cls) -> GuidanceConfig:
        """The strengths used when the user turns guidance on, chosen on the val split
        (bench/results/guidance_tune.md): OCR 0.02 changes the metrics least; every
        re-compression strength tried raised the feature distance (0.01: 18.5 -> 41.4)."""
        return cls(ocr=0.02, recompress=0.0, iters=1)


def recompress_loss(x: torch.Tensor, anchor: torch.Tensor) -> torch.Tensor:
    """Mean squared difference of the box-filtered low-pass images (both (1, 3, H, W))."""
    f = RECOMPRESS_SCALE
    return F.mse_loss(F.avg_pool2d(x, f, ceil_mode=True), F.avg_pool2d(anchor, f, ceil_mode=True))


class Guide:
    """Refines clean-image estimates of one image (anchor and text layer fixed)."""

    def __init__(self, cfg: GuidanceConfig, layer: TextLayer, anchor: torch.Tensor) -> None:
        self.cfg, self.anchor = cfg, anchor.detach()
        self.boxes: list = []
        self.recognizer = None
        if cfg.ocr > 0:
            from picd_desktop.models.ocr_torch import load_recognizer  # noqa: PLC0415
            from picd_desktop.render.diffusion.ocr_loss import line_boxes  # noqa: PLC0415

            self.boxes = line_boxes(layer)
            if self.boxes:
                self.recognizer = load_recognizer(str(anchor.device))

    def losses(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """The active losses at estimate x ((1, 3, H, W) in [-1, 1])."""
        out = {}
        if self.cfg.recompress > 0:
            out["recompress"] = recompress_loss(x, self.anchor)
        if self.recognizer is not None:
            from picd_desktop.render.diffusion.ocr_loss import ocr_loss  # noqa: PLC0415

            out["ocr"] = ocr_loss((x + 1) / 2, (self.anchor + 1) / 2, self.boxes,
                                  self.recognizer)
        return out

    def refine(self, x0: torch.Tensor) -> torch.Tensor:
        """`iters` normalised gradient steps on the weighted losses."""
        x = x0.detach()
        weights = {"ocr": self.cfg.ocr, "recompress": self.cfg.recompress}
        for _ in range(self.cfg.iters):
            x = x.requires_grad_(True)
            step = torch.zeros_like(x)
            losses = self.losses(x)
            for name, loss in losses.items():
                (grad,) = torch.autograd.grad(loss, x, retain_graph=True)
                rms = grad.square().mean().sqrt()
                if float(rms) > 0:
                    # normalise over the pixels the loss touches, not the whole image
                    share = max(float((grad != 0).float().mean()), 1e-6)
                    step = step + weights[name] * grad / (rms / share ** 0.5)
            x = (x - step).detach()
        return x

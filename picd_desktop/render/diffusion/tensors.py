"""Conversions between images and the network's tensors (everything in [-1, 1])."""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image


def image_tensor(rgb: np.ndarray | Image.Image) -> torch.Tensor:
    """uint8 RGB, (H, W, 3) or (N, H, W, 3), or a PIL image -> (N, 3, H, W) in [-1, 1]."""
    a = np.array(rgb.convert("RGB") if isinstance(rgb, Image.Image) else rgb)
    if a.ndim == 3:
        a = a[None]
    return torch.from_numpy(a).permute(0, 3, 1, 2).float().div(127.5).sub(1)


def glyph_tensor(rgba: np.ndarray | Image.Image) -> torch.Tensor:
    """uint8 RGBA glyph image(s) -> (N, 4, H, W): colour premultiplied by coverage, coverage;
    both mapped to [-1, 1]."""
    a = np.array(rgba.convert("RGBA") if isinstance(rgba, Image.Image) else rgba)
    if a.ndim == 3:
        a = a[None]
    t = torch.from_numpy(a).permute(0, 3, 1, 2).float().div(255)
    alpha = t[:, 3:4]
    return torch.cat([t[:, :3] * alpha, alpha], dim=1).mul(2).sub(1)


def to_image(x: torch.Tensor) -> Image.Image:
    """(1, 3, H, W) or (3, H, W) in [-1, 1] -> RGB PIL image (rounded, clipped)."""
    if x.ndim == 4:
        x = x[0]
    a = x.detach().float().add(1).mul(127.5).round().clamp(0, 255).to(torch.uint8)
    return Image.fromarray(a.permute(1, 2, 0).cpu().numpy(), "RGB")

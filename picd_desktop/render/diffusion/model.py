"""The rendering network: a small pixel-space conditional UNet with a hybrid adapter.

As in PICD's hybrid adapter, the conditions enter through their own encoders and modulate the
denoiser by spatially adaptive normalisation (SPADE):

- the glyph image (RGB premultiplied by coverage, plus coverage) through a small conv encoder;
- the decoded base image through pixel-unshuffle plus a conv encoder;
- the domain (screenshot or photo) and the diffusion time as an embedding (scale and shift).

The denoiser works on the pixel-unshuffled noisy image (half resolution, three levels) and
predicts the clean image as a residual over the anchor (the glyphs composited over the base, or
the base alone for a model without glyph input), so an untrained output layer gives back the
anchor. The condition features do not depend on the time step: `encode_condition` runs once
per image and `denoise` once per step.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

DOMAINS = ("screen", "photo")


@dataclass(frozen=True)
class RenderNetConfig:
    """Architecture hyper-parameters (stored with the weights)."""

    widths: tuple[int, ...] = (32, 64, 96)  # channels at 1/2, 1/4, 1/8 resolution
    blocks: int = 2  # residual blocks per level (down path; the up path has one per level)
    cond_width: int = 32  # condition features per level
    glyphs: bool = True  # False: the ablation without glyph input
    t_dim: int = 64

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> RenderNetConfig:
        d = dict(d)
        d["widths"] = tuple(d["widths"])
        return cls(**d)

    @property
    def multiple(self) -> int:
        """Input sides must be multiples of this."""
        return 2 ** len(self.widths)


def timestep_embedding(t: torch.Tensor, dim: int) -> torch.Tensor:
    """Sinusoidal embedding of integer time steps (B,) -> (B, dim)."""
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, device=t.device) / half)
    args = t.float()[:, None] * freqs[None]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=1)


def _groups(c: int) -> int:
    return 8 if c % 8 == 0 else 1


class SpadeBlock(nn.Module):
    """Residual block: GroupNorm modulated by condition features (SPADE) and time (FiLM)."""

    def __init__(self, c_in: int, c_out: int, c_cond: int, t_dim: int) -> None:
        super().__init__()
        self.norm1 = nn.GroupNorm(_groups(c_in), c_in, affine=False)
        self.mod1 = nn.Conv2d(c_cond, 2 * c_in, 1)
        self.conv1 = nn.Conv2d(c_in, c_out, 3, padding=1)
        self.time = nn.Linear(t_dim, 2 * c_out)
        self.norm2 = nn.GroupNorm(_groups(c_out), c_out, affine=False)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1)
        self.skip = nn.Conv2d(c_in, c_out, 1) if c_in != c_out else nn.Identity()
        nn.init.zeros_(self.conv2.weight)
        nn.init.zeros_(self.conv2.bias)

    def forward(self, h: torch.Tensor, cond: torch.Tensor, temb: torch.Tensor) -> torch.Tensor:
        gamma, beta = self.mod1(cond).chunk(2, dim=1)
        x = F.silu(self.norm1(h) * (1 + gamma) + beta)
        x = self.conv1(x)
        scale, shift = self.time(temb)[:, :, None, None].chunk(2, dim=1)
        x = F.silu(self.norm2(x) * (1 + scale) + shift)
        return self.skip(h) + self.conv2(x)


class ConditionEncoder(nn.Module):
    """Base image (pixel-unshuffled) and glyph image (own encoder) -> features per level."""

    def __init__(self, cfg: RenderNetConfig) -> None:
        super().__init__()
        c = cfg.cond_width
        self.glyphs = cfg.glyphs
        self.base_in = nn.Sequential(nn.Conv2d(12, c, 3, padding=1), nn.SiLU(),
                                     nn.Conv2d(c, c, 3, padding=1))
        if cfg.glyphs:
            self.glyph_in = nn.Sequential(nn.Conv2d(4, 16, 3, padding=1), nn.SiLU(),
                                          nn.Conv2d(16, c, 4, stride=2, padding=1), nn.SiLU(),
                                          nn.Conv2d(c, c, 3, padding=1))
        self.fuse = nn.Conv2d(2 * c if cfg.glyphs else c, c, 1)
        self.down = nn.ModuleList(nn.Conv2d(c, c, 4, stride=2, padding=1)
                                  for _ in cfg.widths[1:])

    def forward(self, base: torch.Tensor, glyphs: torch.Tensor | None) -> list[torch.Tensor]:
        feats = [self.base_in(F.pixel_unshuffle(base, 2))]
        if self.glyphs:
            if glyphs is None:
                raise ValueError("this model needs the glyph image")
            feats.append(self.glyph_in(glyphs))
        f = F.silu(self.fuse(torch.cat(feats, dim=1)))
        levels = [f]
        for down in self.down:
            f = F.silu(down(f))
            levels.append(f)
        return levels


class RenderNet(nn.Module):
    """x_t, t, domain, condition features -> predicted clean image (x0), all in [-1, 1]."""

    def __init__(self, cfg: RenderNetConfig | None = None) -> None:
        super().__init__()
        self.cfg = cfg = cfg or RenderNetConfig()
        w, cc, td = cfg.widths, cfg.cond_width, cfg.t_dim
        self.condition = ConditionEncoder(cfg)
        self.t_mlp = nn.Sequential(nn.Linear(td, td), nn.SiLU(), nn.Linear(td, td))
        self.domain = nn.Embedding(len(DOMAINS), td)
        self.inp = nn.Conv2d(12, w[0], 3, padding=1)
        self.down_blocks = nn.ModuleList()
        self.downsample = nn.ModuleList()
        for i, c in enumerate(w):
            self.down_blocks.append(nn.ModuleList(
                SpadeBlock(c, c, cc, td) for _ in range(cfg.blocks)))
            if i + 1 < len(w):
                self.downsample.append(nn.Conv2d(c, w[i + 1], 4, stride=2, padding=1))
        self.up_blocks = nn.ModuleList()
        self.upsample = nn.ModuleList()
        for i in range(len(w) - 2, -1, -1):
            self.upsample.append(nn.ConvTranspose2d(w[i + 1], w[i], 2, stride=2))
            self.up_blocks.append(SpadeBlock(2 * w[i], w[i], cc, td))
        self.out_norm = nn.GroupNorm(_groups(w[0]), w[0])
        self.out = nn.Conv2d(w[0], 12, 3, padding=1)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def encode_condition(self, base: torch.Tensor,
                         glyphs: torch.Tensor | None) -> list[torch.Tensor]:
        """Condition features (once per image): base (B,3,H,W), glyphs (B,4,H,W) in [-1, 1]."""
        return self.condition(base, glyphs)

    def denoise(self, x_t: torch.Tensor, t: torch.Tensor, domain: torch.Tensor,
                cond: list[torch.Tensor], anchor: torch.Tensor) -> torch.Tensor:
        """One network evaluation: the estimate of x0 given x_t (B,3,H,W) at steps t (B,)."""
        temb = self.t_mlp(timestep_embedding(t, self.cfg.t_dim)) + self.domain(domain)
        h = self.inp(F.pixel_unshuffle(x_t, 2))
        skips = []
        for i, blocks in enumerate(self.down_blocks):
            for block in blocks:
                h = block(h, cond[i], temb)
            if i + 1 < len(self.down_blocks):
                skips.append(h)
                h = self.downsample[i](h)
        for j, (up, block) in enumerate(zip(self.upsample, self.up_blocks, strict=True)):
            level = len(self.cfg.widths) - 2 - j
            h = torch.cat([up(h), skips[level]], dim=1)
            h = block(h, cond[level], temb)
        residual = F.pixel_shuffle(self.out(F.silu(self.out_norm(h))), 2)
        return anchor + residual

    def forward(self, x_t: torch.Tensor, t: torch.Tensor, domain: torch.Tensor,
                base: torch.Tensor, glyphs: torch.Tensor | None,
                anchor: torch.Tensor) -> torch.Tensor:
        """Training entry: condition + one denoising evaluation."""
        return self.denoise(x_t, t, domain, self.encode_condition(base, glyphs), anchor)


def anchor_image(base: torch.Tensor, glyphs: torch.Tensor | None) -> torch.Tensor:
    """The glyphs composited over the base ([-1, 1] tensors; glyphs premultiplied RGB + alpha
    in [-1, 1]), or the base alone when there is no glyph input."""
    if glyphs is None:
        return base
    alpha = (glyphs[:, 3:4] + 1) / 2
    rgb_premult = (glyphs[:, :3] + 1) / 2
    out01 = (base + 1) / 2 * (1 - alpha) + rgb_premult
    return out01 * 2 - 1

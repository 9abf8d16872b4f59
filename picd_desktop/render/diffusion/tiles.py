"""Overlapping tiles: where to run the network, and seamless blending of tile outputs.

Flat tiles (no glyphs, almost no edges in the anchor image) skip the network: their estimate
is the anchor itself. Every tile, run or skipped, enters the blend with the same feathered
window, so a run tile next to a skipped one meets it without a seam.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

EDGE_STEP = 6 / 127.5  # a neighbour difference above this (in [-1, 1] units) counts as an edge
ACTIVE_EDGE_SHARE = 0.002  # tiles with fewer edge pixels than this share are flat


@dataclass(frozen=True)
class Tile:
    y0: int
    x0: int
    height: int
    width: int

    def slices(self) -> tuple[slice, slice]:
        return slice(self.y0, self.y0 + self.height), slice(self.x0, self.x0 + self.width)


def plan_axis(length: int, target: int, overlap: int, multiple: int) -> tuple[int, list[int]]:
    """(tile size, starts) along one axis: the fewest tiles of about `target` px that overlap by
    at least `overlap`, evenly spread, size a multiple of `multiple`. A length shorter than
    one tile gets one tile, padded up to the multiple."""
    n = max(1, round((length - overlap) / (target - overlap)))
    if n == 1:
        return -(-length // multiple) * multiple, [0]
    size = -(-math.ceil((length + (n - 1) * overlap) / n) // multiple) * multiple
    return size, [round(i * (length - size) / (n - 1)) for i in range(n)]


def plan_tiles(height: int, width: int, target: int, overlap: int,
               multiple: int) -> tuple[tuple[int, int], list[Tile]]:
    """((padded height, padded width), tiles): equal tiles covering the padded image."""
    th, ys = plan_axis(height, target, overlap, multiple)
    tw, xs = plan_axis(width, target, overlap, multiple)
    return (max(height, th), max(width, tw)), [Tile(y, x, th, tw) for y in ys for x in xs]


def edge_share(anchor: torch.Tensor) -> torch.Tensor:
    """Per-pixel edge flag of a (1, 3, H, W) image: max neighbour difference > EDGE_STEP."""
    dx = (anchor[..., :, 1:] - anchor[..., :, :-1]).abs().amax(dim=1)
    dy = (anchor[..., 1:, :] - anchor[..., :-1, :]).abs().amax(dim=1)
    edges = torch.zeros(anchor.shape[0], *anchor.shape[2:], dtype=torch.bool)
    edges[..., :, 1:] |= dx > EDGE_STEP
    edges[..., 1:, :] |= dy > EDGE_STEP
    return edges


def active_tiles(anchor: torch.Tensor, coverage: torch.Tensor, tiles: list[Tile]) -> list[bool]:
    """Which tiles go through the network: any glyph coverage, or enough edge pixels."""
    edges = edge_share(anchor.cpu())[0]
    cov = coverage.cpu()[0, 0] > 0
    out = []
    for tile in tiles:
        ys, xs = tile.slices()
        share = float(edges[ys, xs].float().mean())
        out.append(bool(cov[ys, xs].any()) or share >= ACTIVE_EDGE_SHARE)
    return out


def _ramp(size: int, overlap: int) -> np.ndarray:
    ramp = np.ones(size, np.float32)
    overlap = min(overlap, size // 2)
    if overlap > 0:
        r = (np.arange(overlap, dtype=np.float32) + 0.5) / overlap
        ramp[:overlap] = r
        ramp[-overlap:] = r[::-1]
    return ramp


def feather(height: int, width: int, overlap: int) -> torch.Tensor:
    """(height, width) blending window: 1 inside, a linear ramp over `overlap` at the borders."""
    return torch.from_numpy(np.outer(_ramp(height, overlap), _ramp(width, overlap)))


class Blender:
    """Accumulates tile estimates with feathered weights into one image."""

    def __init__(self, shape: tuple[int, ...], tile: Tile, overlap: int,
                 device: torch.device | str) -> None:
        self.num = torch.zeros(shape, device=device)
        self.den = torch.zeros((1, 1, *shape[2:]), device=device)
        self.window = feather(tile.height, tile.width, overlap).to(device)[None, None]

    def add(self, tile: Tile, value: torch.Tensor) -> None:
        ys, xs = tile.slices()
        self.num[..., ys, xs] += value * self.window
        self.den[..., ys, xs] += self.window

    def result(self) -> torch.Tensor:
        return self.num / self.den.clamp_min(1e-8)

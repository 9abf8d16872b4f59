"""LearnedCodec: the base layer coded by a small learned hyperprior codec, in independent tiles.

Payload: u8 version, u8 quality step (0..56, 1/8 per quality level), u8 flags (bit 0: ROI
crops; version 2 only: bit 1 rules, bit 2 ink masks), u16 tile side; version 2 adds u8 f,
the downscale factor; then per tile (row-major over the image, downscaled by f) u32 length,
u32 CRC32 of the tile bytes, tile bytes = u32 z length, z (rANS), y (rANS); then with bit 2 a
u32 length and the ink masks (inkmask.py), with bit 1 a u32 length and the rules (rules.py),
then with bit 0 the ROI crops (roi.py, AVIF) to the end. A tile is padded (edge) to a
multiple of 64 and coded alone, so memory is bounded by the tile and a damaged tile loses
only itself. Version 1 is version 2 with f = 1, no rules and no ink masks (what the encoder
still writes then).

As in the classic codec: ROI words (those the text layer does not draw) on a flat background
become ink masks (fg/bg colours + a coverage mask coded with the layer's word coverage as
context, so the decoder needs the layer or the condition planes), the other ROI boxes AVIF
crops; at low rates the encoder may code the image box-downscaled by f (the condition planes
alike), the decoder upsamples with Pillow's fixed-point bicubic, and thin lines are coded
exactly as rules. Which (f, net quality) each quality uses is the model card's
`quality_table` (chosen on the val split; without one, f = 1 throughout).

Decoding is bit-exact on any machine (see models/base_net.py): the hyper-synthesis and the
synthesis run on integers in float64; the CDF tables ship with the weights. With `device`
"cuda" those integer networks run on the GPU with cuDNN off (its FFT and Winograd algorithms
would round; the native convolutions sum products exactly) while the entropy coding stays
on the CPU.
"""

from __future__ import annotations

import copy
import hashlib
import json
import struct
import zlib
from contextlib import nullcontext
from functools import cached_property

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from picd_desktop.base import side
from picd_desktop.base.classic import (
    avif_decode,
    avif_encode,
    check_input,
    check_size,
)
from picd_desktop.base.codec import QUALITY_MAX, QUALITY_MIN
from picd_desktop.base.roi import decode_tail, encode_roi, merge_boxes
from picd_desktop.format.errors import BaseLayerError
from picd_desktop.models.base_net import (
    AB,
    LOG_SCALE_MIN,
    N_SCALES,
    QSTEPS,
    STRIDE,
    WB,
    Y_CLAMP,
    BaseNet,
)
from picd_desktop.models.weights import load_net
from picd_desktop.text.glyphs import draw_glyphs, word_coverage
from picd_desktop.text.layer import Box, TextLayer

VERSION = 1  # the decoder family in `sha256`: reads payload versions 1 and 2
TILE = 512
DEFAULT_MODEL = "learned-hp-v6"  # the newest shipped net: what new learned payloads use
_HEAD = struct.Struct("<BBBH")
_F = struct.Struct("<B")
_TILE = struct.Struct("<II")
_U32 = struct.Struct("<I")
_FLAG_ROI = 1
_FLAG_RULES = 2
_FLAG_INK = 4
MAX_F = 8
_LS0 = int(-LOG_SCALE_MIN * 2 ** AB)  # log-scale origin in units 2**-AB (exact: 144)


def cond_planes(layer: TextLayer | None, size: tuple[int, int]) -> np.ndarray:
    """The glyph condition (H, W, 5) uint8: glyph RGB premultiplied by alpha, alpha, and the
    coverage of every word (drawn or not). Zeros without a layer."""
    w, h = size
    out = np.zeros((h, w, 5), np.uint8)
    if layer is None:
        return out
    if (layer.width, layer.height) != (w, h):
        raise BaseLayerError("text layer size differs from the base layer's")
    return planes_from_glyphs(np.asarray(draw_glyphs(layer)), np.asarray(word_coverage(layer)))


def planes_from_glyphs(rgba: np.ndarray, coverage: np.ndarray) -> np.ndarray:
    """Condition planes (H, W, 5) uint8 from a glyph image (H, W, 4) and a word coverage
    mask (H, W): glyph RGB premultiplied by alpha, alpha, coverage."""
    h, w = rgba.shape[:2]
    out = np.zeros((h, w, 5), np.uint8)
    a = rgba[..., 3:4].astype(np.uint32)
    out[..., :3] = (rgba[..., :3].astype(np.uint32) * a + 127) // 255
    out[..., 3] = rgba[..., 3]
    out[..., 4] = coverage
    return out


def box_reduce(a: np.ndarray, f: int) -> np.ndarray:
    """(H, W, C) uint8 -> (ceil(H/f), ceil(W/f), C): edge-padded f x f block means, rounded, in
    integers (the same bytes on any machine)."""
    if f == 1:
        return a
    h, w, c = a.shape
    ih, iw = -(-h // f), -(-w // f)
    p = np.pad(a, ((0, ih * f - h), (0, iw * f - w), (0, 0)), "edge").astype(np.uint32)
    s = p.reshape(ih, f, iw, f, c).sum(axis=(1, 3))
    return ((s + f * f // 2) // (f * f)).astype(np.uint8)


def tiles(size: tuple[int, int], tile: int) -> list[tuple[int, int, int, int]]:
    """Tile boxes (x0, y0, x1, y1), row-major."""
    w, h = size
    return [(x, y, min(x + tile, w), min(y + tile, h))
            for y in range(0, h, tile) for x in range(0, w, tile)]


def _pad(a: np.ndarray) -> np.ndarray:
    h, w = a.shape[:2]
    ph, pw = -(-h // STRIDE) * STRIDE - h, -(-w // STRIDE) * STRIDE - w
    return np.pad(a, ((0, ph), (0, pw), (0, 0)), "edge") if ph or pw else a


def _planes(a: np.ndarray) -> torch.Tensor:
    """(H, W, C) uint8 -> (1, C, H, W) float64 integers."""
    return torch.from_numpy(np.ascontiguousarray(a.transpose(2, 0, 1))).double()[None]


def scale_index(log_scale_int: torch.Tensor) -> torch.Tensor:
    """Scale-table index from exact log-scales (units 2**-AB): nearest of exp(LMIN + i/8)."""
    step = 2 ** AB // 8
    return torch.floor((log_scale_int + _LS0 + step // 2) / step).clamp(0, N_SCALES - 1)


class LearnedCodec:
    """Learned hyperprior base codec (see module doc); `name` is the model under
    resources/models/ (or `directory`)."""

    def __init__(self, name: str = DEFAULT_MODEL, directory=None, tile: int = TILE,
                 device: str = "cpu") -> None:
        if tile % STRIDE or not STRIDE <= tile <= 4096:
            raise ValueError(f"tile side must be a multiple of {STRIDE} in [64, 4096]")
        self.name, self._dir, self.tile = name, directory, tile
        self.device = torch.device(device)
        self.id = name
        card = self.card
        desc = {"id": self.id, "version": VERSION, "weights": card["sha256"],
                "config": card["config"], "tile": tile, "roi": "avif-roi-v1"}
        self.sha256 = hashlib.sha256(json.dumps(desc, sort_keys=True).encode()).hexdigest()

    @cached_property
    def _loaded(self) -> tuple[BaseNet, dict]:
        with torch.inference_mode(False):  # normal tensors, so recompress() can differentiate
            return load_net(self.name, self._dir)

    @property
    def net(self) -> BaseNet:
        return self._loaded[0]

    @cached_property
    def _exact_net(self) -> BaseNet:
        """The net whose integer paths run on `device` (the CPU net itself on the CPU)."""
        if self.device.type == "cpu":
            return self.net
        return copy.deepcopy(self.net).to(self.device)

    def _exact_mode(self):
        """cuDNN off on the GPU: only exactly-summing convolution algorithms."""
        if self.device.type == "cuda":
            return torch.backends.cudnn.flags(enabled=False)
        return nullcontext()

    @cached_property
    def card(self) -> dict:
        from picd_desktop.models.weights import CARD_FILE, model_dir  # noqa: PLC0415

        d = self._dir or model_dir(self.name)
        return json.loads((d / CARD_FILE).read_text())

    # ---- encode -------------------------------------------------------------------------
    def plan(self, quality: float) -> tuple[int, int]:
        """(downscale factor f, net quality step) for `quality`: the card's quality_table rows
        [f, net quality] at integer qualities, the net quality interpolated between rows that
        share f; without a table (f 1, the quality itself)."""
        qstep = _qstep(quality)
        table = self.card.get("quality_table")
        if not table:
            return 1, qstep
        i, k = divmod(qstep, QSTEPS)
        lo = table[min(i, len(table) - 1)]
        hi = table[min(i + 1, len(table) - 1)]
        if hi[0] != lo[0] or k == 0:
            return int(lo[0]), _qstep(lo[1])
        return int(lo[0]), _qstep(lo[1] + k / QSTEPS * (hi[1] - lo[1]))

    def encode(self, image: Image.Image, quality: float, roi: list[Box] | None = None,
               layer: TextLayer | None = None, cond: np.ndarray | None = None) -> bytes:
        """`cond`: condition planes (cond_planes) to use instead of drawing them from `layer`."""
        check_input(image)
        f, qstep = self.plan(quality)
        image = image.convert("RGB")
        arr = np.asarray(image)
        cond = _checked_cond(cond, image.size) if cond is not None else cond_planes(
            layer, image.size)
        lines = ink = b""
        if f > 1:  # thin lines would blur away: coded exactly, painted out of the base
            arr, lines = side.lift_rules(arr)
        rest: list[Box] = []
        if roi:  # words on a flat background as ink masks (painted out of the base), the rest
            bits = 1 if quality < 3 else 2  # as AVIF crops (classic.TABLE's ink bits)
            arr, ink, rest = side.lift_inks(arr, merge_boxes(list(roi), image.size), bits,
                                            cond[..., 4])
        small, cond = box_reduce(arr, f), box_reduce(cond, f)
        parts = []
        with torch.inference_mode():
            for x0, y0, x1, y1 in tiles((small.shape[1], small.shape[0]), self.tile):
                data = self._encode_tile(small[y0:y1, x0:x1], cond[y0:y1, x0:x1], qstep)
                parts.append(_TILE.pack(len(data), zlib.crc32(data)) + data)
        extra = b""
        if rest:  # crop quality follows the asked quality (not the net's: f may differ)
            q = int(40 + 4 * _qstep(quality) / QSTEPS)
            extra = encode_roi(image, rest, lambda t: avif_encode(t, q), margin=0)
        flags = ((_FLAG_ROI if extra else 0) | (_FLAG_RULES if lines else 0)
                 | (_FLAG_INK if ink else 0))
        if f == 1 and not lines and not ink:
            head = _HEAD.pack(1, qstep, flags, self.tile)
        else:
            head = _HEAD.pack(2, qstep, flags, self.tile) + _F.pack(f)
        return head + b"".join(parts) + side.frame(ink, lines) + extra

    def _encode_tile(self, rgb: np.ndarray, cond: np.ndarray, qstep: int) -> bytes:
        net = self.net
        x = _planes(_pad(rgb)).float() / 256
        feats = self._features(cond)
        ffeats = [None if f is None else f.cpu().float() / 2 ** AB for f in feats]
        y = net.analysis(x, ffeats) * net.gains(qstep)[None, :, None, None].float()
        z = net.hyper_analysis(y)
        eb = net.entropy_bottleneck
        z_str = eb.compress(z)[0]
        z_hat = eb.decompress([z_str], z.shape[-2:])
        means, idx = self._entropy_params(z_hat, feats[2])
        y_str = net.gaussian_conditional.compress(y, idx, means.float() / 2 ** AB)[0]
        return _U32.pack(len(z_str)) + z_str + y_str

    def _features(self, cond: np.ndarray) -> list[torch.Tensor | None]:
        """Exact glyph features (on `device`) of a tile's padded condition planes."""
        with self._exact_mode():
            return self._exact_net.features(_planes(_pad(cond)).to(self.device), exact=True)

    def _entropy_params(self, z_hat: torch.Tensor, f16) -> tuple[torch.Tensor, torch.Tensor]:
        """(means in units 2**-AB, scale-table indices), exact, on the CPU."""
        with self._exact_mode():
            means, log_scales = self._exact_net.hyper_synthesis(
                z_hat.double().to(self.device), f16, exact=True)
        return means.cpu(), scale_index(log_scales).int().cpu()

    # ---- decode -------------------------------------------------------------------------
    def decode(self, data: bytes, size: tuple[int, int], layer: TextLayer | None = None,
               cond: np.ndarray | None = None) -> Image.Image:
        image, damaged = self.decode_tiles(data, size, layer, cond)
        if damaged:
            err = BaseLayerError(f"base layer tiles {damaged} damaged (CRC or payload)")
            err.partial = image  # type: ignore[attr-defined]
            err.damaged = damaged  # type: ignore[attr-defined]
            raise err
        return image

    def decode_tiles(self, data: bytes, size: tuple[int, int], layer: TextLayer | None = None,
                     cond: np.ndarray | None = None) -> tuple[Image.Image, list[int]]:
        """(image, indices of damaged tiles, painted mid-grey). Header or framing errors raise
        BaseLayerError. `cond` as in encode."""
        w, h = check_size(size)
        if len(data) < _HEAD.size:
            raise BaseLayerError("base layer payload truncated (header)")
        version, qstep, flags, tile = _HEAD.unpack_from(data)
        pos, f = _HEAD.size, 1
        if version not in (1, 2):
            raise BaseLayerError(f"unsupported learned base layer version {version}")
        if version == 2:
            if len(data) < pos + _F.size:
                raise BaseLayerError("base layer payload truncated (header)")
            (f,) = _F.unpack_from(data, pos)
            pos += _F.size
        known = _FLAG_ROI | ((_FLAG_RULES | _FLAG_INK) if version == 2 else 0)
        if (flags & ~known or qstep > (QUALITY_MAX - QUALITY_MIN) * QSTEPS or tile != self.tile
                or not 1 <= f <= MAX_F):
            raise BaseLayerError(f"bad learned base header (flags {flags}, q {qstep}, "
                                 f"tile {tile}, f {f})")
        cond = _checked_cond(cond, (w, h)) if cond is not None else cond_planes(layer, (w, h))
        coverage = cond[..., 4]
        cond = box_reduce(cond, f)
        iw, ih = -(-w // f), -(-h // f)
        out = np.full((ih, iw, 3), 128, np.uint8)
        damaged = []
        with torch.inference_mode():
            for i, (x0, y0, x1, y1) in enumerate(tiles((iw, ih), tile)):
                if pos + _TILE.size > len(data):
                    raise BaseLayerError("base layer payload truncated (tile header)")
                n, crc = _TILE.unpack_from(data, pos)
                pos += _TILE.size
                if pos + n > len(data):
                    raise BaseLayerError("base layer payload truncated (tile)")
                body = data[pos:pos + n]
                pos += n
                try:
                    if zlib.crc32(body) != crc:
                        raise BaseLayerError("tile CRC mismatch")
                    px = self._decode_tile(body, cond[y0:y1, x0:x1], qstep)
                    out[y0:y1, x0:x1] = px[:y1 - y0, :x1 - x0]
                except (BaseLayerError, ValueError, RuntimeError):
                    damaged.append(i)
        image = Image.fromarray(out)
        if f > 1:
            image = image.resize((iw * f, ih * f), Image.Resampling.BICUBIC).crop((0, 0, w, h))
        ink = lines = None
        if flags & _FLAG_INK:
            ink, pos = side.chunk(data, pos, "ink masks")
        if flags & _FLAG_RULES:
            lines, pos = side.chunk(data, pos, "rules")
        if ink is not None or lines is not None:
            canvas = np.array(image)
            side.paint(canvas, lines, ink, coverage)
            image = Image.fromarray(canvas)
        decode_tail(data, pos, image, bool(flags & _FLAG_ROI), avif_decode)
        return image, damaged

    def _decode_tile(self, body: bytes, cond: np.ndarray, qstep: int) -> np.ndarray:
        net = self.net
        if len(body) < _U32.size:
            raise BaseLayerError("tile truncated")
        (nz,) = _U32.unpack_from(body)
        if _U32.size + nz > len(body):
            raise BaseLayerError("tile z length out of range")
        ph, pw = (-(-s // STRIDE) * STRIDE for s in cond.shape[:2])
        feats = self._features(cond)
        z_hat = net.entropy_bottleneck.decompress([body[4:4 + nz]], (ph // STRIDE, pw // STRIDE))
        means, idx = self._entropy_params(z_hat, feats[2])
        y_hat = net.gaussian_conditional.decompress([body[4 + nz:]], idx, torch.float32,
                                                    means.float() / 2 ** AB)
        y_int = torch.round(y_hat.double() * 2 ** AB)
        ig = net.inv_gain_int(qstep)[None, :, None, None]
        lim = Y_CLAMP * 2 ** AB
        y_in = torch.floor((y_int * ig + 2 ** (WB - 1)) / 2 ** WB).clamp(-lim, lim)
        with self._exact_mode():
            px = self._exact_net.synthesis(y_in.to(self.device), feats, exact=True)
        return px[0].permute(1, 2, 0).cpu().numpy().astype(np.uint8)

    # ---- differentiable path ------------------------------------------------------------
    def recompress(self, image: torch.Tensor, glyphs: torch.Tensor | None, quality: float
                   ) -> torch.Tensor:
        """What the decoder would give back for `image` (B, 3, H, W) in [0, 1], differentiable
        (straight-through rounding). `glyphs`: (B, 5, H, W) condition planes / 255 in [0, 1]
        (cond_planes), or None for none. Returns (B, 3, H, W) in [0, 1]."""
        net = self.net
        b, _, h, w = image.shape
        f, qstep = self.plan(quality)
        pad = _pad_to(image, STRIDE * f)  # edge-padded so the (downscaled) net input fits
        x = F.pad(image, pad, mode="replicate") * (255 / 256)
        if glyphs is None:
            glyphs = torch.zeros(b, 5, h, w, dtype=image.dtype, device=image.device)
        c = F.pad(glyphs, pad, mode="replicate") * (255 / 256)
        if f > 1:  # box-downscale as the encoder does
            x, c = F.avg_pool2d(x, f), F.avg_pool2d(c, f)
        feats = net.features(c)
        y = net.analysis(x, feats) * net.gains(qstep)[None, :, None, None]
        z_hat = torch.round(net.hyper_analysis(y)) + 0 * y.sum()  # z is side information
        means, log_scales = net.hyper_synthesis(z_hat.detach(), feats[2])
        from picd_desktop.models.base_net import ste_round  # noqa: PLC0415

        y_hat = ste_round(y - means) + means
        ig = (net.inv_gain_int(qstep) / 2 ** WB).to(y)[None, :, None, None]
        y_in = (ste_round(y_hat * ig * 2 ** AB) / 2 ** AB).clamp(-Y_CLAMP, Y_CLAMP)
        out = net.synthesis(y_in, feats)
        if f > 1:
            out = F.interpolate(out, scale_factor=f, mode="bicubic", align_corners=False)
        return out.clamp(0, 1)[..., :h, :w]


def _pad_to(t: torch.Tensor, m: int) -> tuple[int, int, int, int]:
    """F.pad widths (left, right, top, bottom) that take t's last two sides to multiples of m."""
    h, w = t.shape[-2:]
    return 0, -(-w // m) * m - w, 0, -(-h // m) * m - h


def _checked_cond(cond: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    w, h = size
    if cond.shape != (h, w, 5) or cond.dtype != np.uint8:
        raise BaseLayerError(f"condition planes must be ({h}, {w}, 5) uint8, got "
                             f"{cond.shape} {cond.dtype}")
    return cond


def _qstep(quality: float) -> int:
    q = float(quality)
    if not np.isfinite(q) or not QUALITY_MIN <= q <= QUALITY_MAX:
        raise ValueError(f"quality {quality!r} outside [{QUALITY_MIN}, {QUALITY_MAX}]")
    return BaseNet.quality_steps(q)

"""Lossless coding of ink masks with an adaptive context model conditioned on a prediction.

Each mask (uint8 levels 0 .. 2**bits - 1) is coded as bit planes. The high plane (ink or not)
is coded with a JBIG-like causal template of 10 decoded neighbours plus 7 pixels of a
*prediction*: the word as the text layer would draw it, which the decoder can draw too. The
low plane (2-bit masks) is coded with the high plane's 3x3 neighbourhood and 4 causal low bits.
Probabilities come from adaptive integer counts per context, so decoding is bit-exact
everywhere; symbols go through one constriction range coder.

Pixels are coded in wavefronts (t = x + 3y inside each mask, all masks at once): every
template neighbour lies on an earlier wavefront, so each wavefront is one vectorised step.
"""

from __future__ import annotations

import constriction
import numpy as np

from picd_desktop.format.errors import BaseLayerError

PAD = 2
SLOPE = 3  # wavefront t = x + SLOPE * y; template offsets (dy, dx) need dx + SLOPE * dy < 0
HI_TEMPLATE = ((-1, -1), (-1, 0), (-1, 1), (0, -1), (0, -2), (-2, 0), (-2, -1), (-2, 1),
               (-1, -2), (-1, 2))
PRED_TEMPLATE = ((0, 0), (0, -1), (0, 1), (-1, 0), (1, 0), (1, 1), (1, -1))
LO_HI_TEMPLATE = ((0, 0), (-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1))
LO_TEMPLATE = ((-1, -1), (-1, 0), (-1, 1), (0, -1))
PRED_LEVEL = 128  # prediction coverage (0..255) at or above this counts as ink
COUNT_WEIGHT = 5  # probability of a bit = (5 * count + 2) / (5 * total + 4): KT-like, integer
_Categorical = constriction.stream.model.Categorical


class _Layout:
    """Masks side by side in one zero-padded flat buffer, and their pixels in wavefront order."""

    def __init__(self, shapes: list[tuple[int, int]]) -> None:
        flats, ts, strides = [], [], []
        base = 0
        for h, w in shapes:
            stride = w + 2 * PAD
            ys, xs = np.divmod(np.arange(h * w, dtype=np.int64), w)
            flats.append(base + (ys + PAD) * stride + xs + PAD)
            ts.append(xs + SLOPE * ys)
            strides.append(np.full(h * w, stride, np.int64))
            base += (h + 2 * PAD) * stride
        self.size = base
        flat = np.concatenate(flats) if flats else np.zeros(0, np.int64)
        t = np.concatenate(ts) if ts else np.zeros(0, np.int64)
        stride = np.concatenate(strides) if strides else np.zeros(0, np.int64)
        order = np.argsort(t, kind="stable")
        self.flat, self.stride = flat[order], stride[order]
        t = t[order]
        cuts = np.flatnonzero(np.diff(t)) + 1
        self.groups = list(zip(np.r_[0, cuts].tolist(), np.r_[cuts, len(t)].tolist(),
                               strict=True))
        self.raster = np.argsort(order, kind="stable")  # wavefront position of raster pixel i
        self.shapes = shapes

    def scatter(self, masks: list[np.ndarray]) -> np.ndarray:
        """Raster-ordered mask pixels -> values in wavefront order."""
        raster = np.concatenate([m.ravel() for m in masks]) if masks else np.zeros(0, np.uint8)
        out = np.empty_like(raster)
        out[self.raster] = raster
        return out

    def gather(self, values: np.ndarray) -> list[np.ndarray]:
        """Values in wavefront order -> one array per mask."""
        raster = values[self.raster]
        out, start = [], 0
        for h, w in self.shapes:
            out.append(raster[start:start + h * w].reshape(h, w))
            start += h * w
        return out

    def buffer(self, values: np.ndarray) -> np.ndarray:
        """A padded flat buffer holding `values` (wavefront order) at the mask pixels."""
        buf = np.zeros(self.size, np.int64)
        buf[self.flat] = values
        return buf


def _context(buf: np.ndarray, flat: np.ndarray, stride: np.ndarray,
             template: tuple[tuple[int, int], ...]) -> np.ndarray:
    ctx = np.zeros(len(flat), np.int64)
    for dy, dx in template:
        ctx = (ctx << 1) | buf[flat + dy * stride + dx]
    return ctx


def _code_plane(layout: _Layout, coder, plane: np.ndarray | None, side: np.ndarray,
                template: tuple[tuple[int, int], ...], side_bits: int) -> np.ndarray:
    """Code (plane given) or decode (plane None) one bit plane; returns it (wavefront order).

    `side` holds, per pixel in wavefront order, context bits known to both sides.
    """
    n = len(layout.flat)
    out = np.zeros(n, np.int64) if plane is None else plane.astype(np.int64)
    buf = np.zeros(layout.size, np.int64)
    contexts = 1 << (len(template) + side_bits)
    ones = np.zeros(contexts, np.int64)
    seen = np.zeros(contexts, np.int64)
    model = _Categorical(perfect=False)
    for a, b in layout.groups:
        flat, stride = layout.flat[a:b], layout.stride[a:b]
        ctx = (_context(buf, flat, stride, template) << side_bits) | side[a:b]
        one, total = ones[ctx], seen[ctx]
        probs = np.stack([COUNT_WEIGHT * (total - one) + 2, COUNT_WEIGHT * one + 2], 1)
        probs = probs.astype(np.float64)
        if plane is None:
            bits = np.asarray(coder.decode(model, probs), np.int64)
            out[a:b] = bits
        else:
            bits = out[a:b]
            coder.encode(bits.astype(np.int32), model, probs)
        buf[flat] = bits
        np.add.at(ones, ctx, bits)
        np.add.at(seen, ctx, 1)
    return out


def _side(buf: np.ndarray, layout: _Layout, template: tuple[tuple[int, int], ...]) -> np.ndarray:
    return _context(buf, layout.flat, layout.stride, template)


def _pred_side(layout: _Layout, preds: list[np.ndarray]) -> np.ndarray:
    pred = layout.scatter([(p >= PRED_LEVEL).astype(np.uint8) for p in preds])
    return _side(layout.buffer(pred), layout, PRED_TEMPLATE)


def encode(masks: list[np.ndarray], preds: list[np.ndarray], bits: int) -> bytes:
    """Code `masks` (uint8, values < 2**bits) given same-shaped `preds` (coverage 0..255)."""
    layout = _Layout([m.shape for m in masks])
    values = layout.scatter(masks).astype(np.int64)
    coder = constriction.stream.queue.RangeEncoder()
    high = values >> (bits - 1)
    _code_plane(layout, coder, high, _pred_side(layout, preds), HI_TEMPLATE, len(PRED_TEMPLATE))
    if bits == 2:
        side = _side(layout.buffer(high), layout, LO_HI_TEMPLATE)
        _code_plane(layout, coder, values & 1, side, LO_TEMPLATE, len(LO_HI_TEMPLATE))
    return coder.get_compressed().astype("<u4").tobytes()


def decode(data: bytes, shapes: list[tuple[int, int]], preds: list[np.ndarray],
           bits: int) -> list[np.ndarray]:
    """Inverse of `encode`; BaseLayerError on data that cannot be this stream."""
    if len(data) % 4:
        raise BaseLayerError("ink mask stream is not a whole number of 32-bit words")
    layout = _Layout(shapes)
    try:
        coder = constriction.stream.queue.RangeDecoder(np.frombuffer(data, "<u4").copy())
        high = _code_plane(layout, coder, None, _pred_side(layout, preds), HI_TEMPLATE,
                           len(PRED_TEMPLATE))
        values = high << (bits - 1)
        if bits == 2:
            side = _side(layout.buffer(high), layout, LO_HI_TEMPLATE)
            values |= _code_plane(layout, coder, None, side, LO_TEMPLATE, len(LO_HI_TEMPLATE))
    except (ValueError, AssertionError, RuntimeError) as exc:  # constriction on corrupt data
        raise BaseLayerError(f"corrupt ink mask stream: {exc}") from exc
    return [m.astype(np.uint8) for m in layout.gather(values)]

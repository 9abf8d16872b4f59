"""Lossless coding of the text layer (`ctx-v1`): context-modelled text + layout residuals.

Bytes: version byte, varint header (width, height, lang, block/word/text-byte counts), then
one range-coded stream (constriction, 32-bit words) holding (1) lines per block and words per
line, (2) all words as UTF-8 bytes + end-of-word under the adaptive context model
(`charmodel`), (3) the geometry, line by line: y0/height/baseline/size/colours/left edge via
recent-value caches or residuals against the previous line, word gaps and widths against the
layout (a fixed advance-width table times an adaptive scale), `drawn` flags. Every model is
integer-only, so decoding is bit-exact everywhere.
"""

from __future__ import annotations

from collections.abc import Callable

import constriction
import numpy as np

from picd_desktop.format.errors import TextLayerError
from picd_desktop.text import charmodel
from picd_desktop.text.charmodel import EOW, TextModel
from picd_desktop.text.layer import Block, Line, TextLayer, Word

Categorical = constriction.stream.model.Categorical
Uniform = constriction.stream.model.Uniform
RangeEncoder = constriction.stream.queue.RangeEncoder
RangeDecoder = constriction.stream.queue.RangeDecoder

CODER_ID = "ctx-v1"
CODER_SHA256: bytes = bytes.fromhex(charmodel.PRIOR_SHA256)
VERSION = 1

MAX_COORD = 65535
MAX_FONT_ID = 63
MAX_FONT_SIZE = 1024
MAX_TEXT_BYTES = 1 << 18  # per layer, UTF-8
MAX_WORDS = 1 << 16
MAX_LINES = 1 << 16
MAX_LANG_BYTES = 64
_NB = 20  # Exp-Golomb buckets: |residual| < 2**18
# Advance widths (1/1000 em, Helvetica/Arial metrics) to predict word widths; others: 600,
# East Asian wide: 1000. The layout model scales these by an adaptive ratio.
_ADV = dict(zip(
    " abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    ".,:;!?'\"()-_/\\@#$%&*+=<>[]{}|~`^",
    [278, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, 556, 556,
     333, 500, 278, 556, 500, 722, 500, 500, 500, 667, 667, 722, 722, 667, 611, 778, 722, 278,
     500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611]
    + [556] * 10
    + [278, 278, 278, 278, 278, 556, 191, 355, 333, 333, 333, 556, 278, 278, 1015, 556, 556,
       889, 667, 389, 584, 584, 584, 584, 278, 278, 334, 334, 260, 584, 333, 469],
    strict=True,
))


# Wide (East Asian, emoji) code point ranges: fixed here, not taken from `unicodedata`, whose
# tables change between Python versions (the prediction must be identical everywhere).
_WIDE = ((0x1100, 0x115F), (0x2E80, 0xA4CF), (0xAC00, 0xD7A3), (0xF900, 0xFAFF),
         (0xFE30, 0xFE4F), (0xFF00, 0xFF60), (0xFFE0, 0xFFE6), (0x1F300, 0x1F64F),
         (0x1F900, 0x1F9FF), (0x20000, 0x3FFFD))


def _advance(c: str) -> int:
    if (w := _ADV.get(c)) is not None:
        return w
    o = ord(c)
    return 1000 if any(a <= o <= b for a, b in _WIDE) else 600


def text_advance(text: str) -> int:
    """Predicted advance of `text` in 1/1000 em (integer, from fixed tables)."""
    return sum(map(_advance, text))


# --- raw serialization helpers -------------------------------------------------------------

def _varint(v: int) -> bytes:
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _read_varint(data: bytes, pos: int) -> tuple[int, int]:
    v = shift = 0
    while True:
        if pos >= len(data) or shift > 35:
            raise TextLayerError("truncated or overlong varint in text layer header")
        b = data[pos]
        pos += 1
        v |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return v, pos


def _zz(v: int) -> int:
    return 2 * v if v >= 0 else -2 * v - 1


def _unzz(u: int) -> int:
    return u // 2 if u % 2 == 0 else -(u + 1) // 2


def _clamp(v: int) -> int:
    return 0 if v < 0 else MAX_COORD if v > MAX_COORD else v


# --- validation ----------------------------------------------------------------------------

def _check_int(name: str, v: object, lo: int, hi: int) -> None:
    if not isinstance(v, int) or isinstance(v, bool) or not lo <= v <= hi:
        raise ValueError(f"text layer: {name}={v!r} is not an int in [{lo}, {hi}]")


def validate_layer(layer: TextLayer) -> None:
    """Raise ValueError with a clear message if `layer` cannot be coded."""
    _check_int("width", layer.width, 0, MAX_COORD)
    _check_int("height", layer.height, 0, MAX_COORD)
    if not isinstance(layer.lang, str) or len(layer.lang.encode("utf-8", "replace")) > 64:
        raise ValueError(f"text layer: lang={layer.lang!r} must be a str of <= 64 bytes")
    words = lines = text_bytes = 0
    for line in layer.lines():
        lines += 1
        for name in ("y0", "y1", "baseline"):
            _check_int(f"line.{name}", getattr(line, name), 0, MAX_COORD)
        _check_int("line.font_id", line.font_id, 0, MAX_FONT_ID)
        _check_int("line.font_size", line.font_size, 1, MAX_FONT_SIZE)
        for name in ("fg", "bg"):
            col = getattr(line, name)
            if not isinstance(col, tuple) or len(col) != 3:
                raise ValueError(f"text layer: line.{name}={col!r} is not an RGB tuple")
            for c in col:
                _check_int(f"line.{name}", c, 0, 255)
        for word in line.words:
            words += 1
            _check_int("word.x0", word.x0, 0, MAX_COORD)
            _check_int("word.x1", word.x1, 0, MAX_COORD)
            if not isinstance(word.drawn, bool):
                raise ValueError(f"text layer: word.drawn={word.drawn!r} is not a bool")
            if not isinstance(word.text, str) or not word.text or "\0" in word.text:
                raise ValueError(f"text layer: word text {word.text!r} is empty or has NUL")
            try:
                text_bytes += len(word.text.encode("utf-8"))
            except UnicodeEncodeError as exc:
                raise ValueError(f"text layer: word {word.text!r} is not valid Unicode") from exc
    if words > MAX_WORDS or lines > MAX_LINES or text_bytes > MAX_TEXT_BYTES:
        raise ValueError(f"text layer too large: {words} words, {lines} lines, "
                         f"{text_bytes} text bytes (max {MAX_WORDS}, {MAX_LINES}, "
                         f"{MAX_TEXT_BYTES})")


# --- uncompressed canonical serialization (the baseline for brotli / xz) --------------------

def serialize_raw(layer: TextLayer) -> bytes:
    """Compact uncompressed serialization: UTF-8 text with separators, then varint geometry.

    Text: words separated by 0x1F, lines ended by 0x1E, blocks by 0x1D. Geometry: width,
    height, lang, then per line y0 y1 baseline font_id font_size fg bg, per word x0 x1 drawn.
    """
    validate_layer(layer)
    text = bytearray()
    geo = bytearray(_varint(layer.width) + _varint(layer.height))
    lang = layer.lang.encode("utf-8")
    geo += _varint(len(lang)) + lang + _varint(len(layer.blocks))
    for block in layer.blocks:
        geo += _varint(len(block.lines))
        for line in block.lines:
            geo += b"".join(_varint(v) for v in (line.y0, line.y1, line.baseline, line.font_id,
                                                  line.font_size, len(line.words)))
            geo += bytes(line.fg) + bytes(line.bg)
            text += b"\x1f".join(w.text.encode("utf-8") for w in line.words) + b"\x1e"
            for w in line.words:
                geo += _varint(w.x0) + _varint(w.x1) + bytes([w.drawn])
        text += b"\x1d"
    return bytes(text) + b"\0" + bytes(geo)


# --- entropy coding front end ----------------------------------------------------------------

class _IO:
    """One range coder used in either direction: `code` encodes `value` or decodes one."""

    def __init__(self, payload: np.ndarray | None = None) -> None:
        self.enc = payload is None
        self.coder = RangeEncoder() if payload is None else RangeDecoder(payload)

    def cat(self, probs: np.ndarray, value: int | None) -> int:
        model = Categorical(probs, perfect=False)
        if self.enc:
            self.coder.encode(value, model)
            return value  # type: ignore[return-value]
        return self._decode(model)

    def _decode(self, model: object) -> int:
        try:
            return int(self.coder.decode(model))
        except AssertionError as exc:  # constriction: data invalid for the model
            raise TextLayerError(f"corrupt text layer: {exc}") from exc

    def uniform(self, size: int, value: int | None) -> int:
        model = Uniform(size)
        if self.enc:
            self.coder.encode(value, model)
            return value  # type: ignore[return-value]
        return self._decode(model)


class _Adaptive:
    """Adaptive categorical model over a small alphabet (integer counts)."""

    def __init__(self, n: int, inc: int = 12, limit: int = 1 << 13) -> None:
        self.counts = [1] * n
        self.inc, self.limit = inc, limit
        self.total = n

    def code(self, io: _IO, value: int | None) -> int:
        v = io.cat(np.array(self.counts, np.float64), value)
        self.counts[v] += self.inc
        self.total += self.inc
        if self.total > self.limit:
            self.counts = [(c + 1) // 2 for c in self.counts]
            self.total = sum(self.counts)
        return v


class _ExpGolomb:
    """Signed residual: adaptive bucket (bit length of its zigzag) + raw mantissa bits."""

    def __init__(self) -> None:
        self.bucket = _Adaptive(_NB)

    def code(self, io: _IO, value: int | None) -> int:
        u = None if value is None else _zz(value)
        if u is not None and u >= 1 << (_NB - 1):
            raise ValueError(f"residual {value} out of range")
        b = self.bucket.code(io, None if u is None else u.bit_length())
        if b <= 1:
            return _unzz(b)
        half = 1 << (b - 1)
        return _unzz(half + io.uniform(half, None if u is None else u - half))


class _Layout:
    """Per-field residual models and the running layout statistics used as predictions."""

    def __init__(self) -> None:
        names = ("nlines", "nwords", "y0", "y1", "base", "size", "gap", "width")
        self.m = {n: _ExpGolomb() for n in names}
        self.font = _Adaptive(MAX_FONT_ID + 1, inc=32)
        self.drawn = _Adaptive(2, inc=32)
        self.prev_y1 = self.lead = self.prev_h = self.prev_boff = 0
        self.prev_size = 16
        self.gap_sum, self.gap_den = 30, 100  # gap ~ 0.3 font size
        self.w_sum, self.w_den = 100, 100_000  # advance table units: 1/1000 em
        self.fg = _Near((0, 0, 0), 16, 256)
        self.bg = _Near((255, 255, 255), 8, 256)
        self.left = _Near((0,), 16, None)
        self.succ: dict[tuple[int, ...], tuple[int, ...]] = {}
        self.last_x0: tuple[int, ...] = (0,)
        self.r_y0, self.r_h = _Recent(0, 8), _Recent(0, 8)
        self.r_base, self.r_size = _Recent(0, 8), _Recent(16, 8)


class _Recent:
    """Move-to-front cache of recent values: a hit codes its index, a miss codes a residual."""

    def __init__(self, first: object, size: int = 12) -> None:
        self.items = [first]
        self.size = size
        self.pick = _Adaptive(size + 1, inc=24)

    def code(self, io: _IO, value: object | None, miss: Callable[[object], object]) -> object:
        """`miss(prev)` codes the value against the most recent one (encode: `value`)."""
        idx = None
        if value is not None:
            idx = self.items.index(value) if value in self.items else self.size
        idx = self.pick.code(io, idx)
        if idx < len(self.items):
            v = self.items.pop(idx)
        elif idx == self.size:
            v = miss(self.items[0])
        else:
            raise TextLayerError("corrupt text layer: bad recent-value index")
        self.items.insert(0, v)
        del self.items[self.size:]
        return v


class _Near:
    """Cache of recent tuples: code an exact hit, or the nearest entry plus per-part deltas."""

    def __init__(self, first: tuple[int, ...], size: int, modulo: int | None) -> None:
        self.items = [first]
        self.size, self.modulo = size, modulo
        self.pick = _Adaptive(2 * size, inc=24)
        self.delta = _ExpGolomb()

    def _diff(self, a: int, b: int) -> int:
        d = a - b
        return d if self.modulo is None else (d + self.modulo // 2) % self.modulo - self.modulo // 2

    def code(self, io: _IO, value: tuple[int, ...] | None) -> tuple[int, ...]:
        sym = None
        if value is not None:
            if value in self.items:
                sym = self.items.index(value)
            else:
                cost = [sum(abs(self._diff(v, c)) for v, c in zip(value, item, strict=True))
                        for item in self.items]
                sym = self.size + cost.index(min(cost))
        sym = self.pick.code(io, sym)
        if sym < len(self.items):
            out = self.items.pop(sym)
        elif self.size <= sym < self.size + len(self.items):
            ref = self.items[sym - self.size]
            parts = []
            for i, c in enumerate(ref):
                d = self.delta.code(io, None if value is None else self._diff(value[i], c))
                parts.append(c + d if self.modulo is None else (c + d) % self.modulo)
            out = tuple(parts)
        else:
            raise TextLayerError("corrupt text layer: bad cache index")
        self.items.insert(0, out)
        del self.items[self.size:]
        return out


def _signed(io: _IO, model: _ExpGolomb, pred: int, value: int | None) -> int:
    """Code `value` as a residual against `pred` (no range check)."""
    return pred + model.code(io, None if value is None else value - pred)


def _res(io: _IO, model: _ExpGolomb, pred: int, value: int | None, what: str) -> int:
    """Code `value` as a residual against `pred`; check the decoded value's range."""
    v = pred + model.code(io, None if value is None else value - pred)
    if not 0 <= v <= MAX_COORD:
        raise TextLayerError(f"decoded {what}={v} out of range")
    return v


def _code_shape(io: _IO, st: _Layout, nblocks: int, src: TextLayer | None,
                max_words: int) -> list[list[int]]:
    """Lines per block and words per line."""
    shape: list[list[int]] = []
    lines_left, words_left = MAX_LINES, max_words
    for bi in range(nblocks):
        sb = src.blocks[bi] if src is not None else None
        nlines = st.m["nlines"].code(io, len(sb.lines) if sb is not None else None)
        if not 0 <= nlines <= lines_left:
            raise TextLayerError("text layer holds too many lines")
        lines_left -= nlines
        row = []
        for li in range(nlines):
            nw = st.m["nwords"].code(io, len(sb.lines[li].words) if sb is not None else None)
            if not 0 <= nw <= words_left:
                raise TextLayerError("text layer holds more words than its header announces")
            words_left -= nw
            row.append(nw)
        shape.append(row)
    return shape


def _streams(texts: list[list[str]]) -> tuple[np.ndarray, np.ndarray]:
    """Coded symbols (word bytes + EOW) and model history (EOW seen as space / newline)."""
    sym, hist = bytearray(), bytearray()
    for line in texts:
        for i, text in enumerate(line):
            raw = text.encode("utf-8")
            sym += raw + bytes([EOW])
            hist += raw + (b"\n" if i + 1 == len(line) else b" ")
    return np.frombuffer(bytes(sym), np.uint8), np.frombuffer(bytes(hist), np.uint8)


def _encode_text(io: _IO, texts: list[list[str]]) -> None:
    sym, hist = _streams(texts)
    if not len(sym):
        return
    prior = charmodel.shipped_prior()
    if len(sym) <= charmodel.BATCH_MAX:
        probs = charmodel.batch_freqs(prior, sym, hist).astype(np.float64)
        io.coder.encode(sym.astype(np.int32), Categorical(perfect=False), probs)
        return
    tm = TextModel(prior, 4 * len(sym))
    for b, h in zip(sym.tolist(), hist.tolist(), strict=True):
        io.cat(tm.probs(), b)
        tm.update(b, h)


def _decode_text(io: _IO, shape: list[list[int]], text_bytes: int) -> list[list[str]]:
    tm = TextModel(charmodel.shipped_prior(), 4 * (text_bytes + sum(map(sum, shape))))
    left = text_bytes
    texts = []
    for row in shape:
        for nw in row:
            line = []
            for i in range(nw):
                out = bytearray()
                while (b := io.cat(tm.probs(), None)) != EOW:
                    tm.update(b, b)
                    out.append(b)
                    if len(out) > left:
                        raise TextLayerError("text layer holds more text than announced")
                tm.update(EOW, 0x0A if i + 1 == nw else 0x20)
                left -= len(out)
                if not out:
                    raise TextLayerError("empty word in text layer")
                try:
                    line.append(out.decode("utf-8"))
                except UnicodeDecodeError as exc:
                    raise TextLayerError("text layer word is not valid UTF-8") from exc
            texts.append(line)
    if left:
        raise TextLayerError("text layer holds less text than its header announces")
    return texts


def _code_line(io: _IO, st: _Layout, texts: list[str], src: Line | None) -> Line:
    enc = src is not None
    v = src.y0 if enc else None
    y0 = st.r_y0.code(io, v, lambda _p, v=v: _res(
        io, st.m["y0"], _clamp(st.prev_y1 + st.lead), v, "y0"))
    v = src.y1 - src.y0 if enc else None
    h = st.r_h.code(io, v, lambda _p, v=v: _signed(io, st.m["y1"], st.prev_h, v))
    y1 = y0 + h
    pred = h * st.prev_boff // st.prev_h if st.prev_h > 0 else h * 3 // 4
    pred = max(-MAX_COORD, min(MAX_COORD, pred))
    v = src.baseline - src.y0 if enc else None
    boff = st.r_base.code(io, v, lambda _p, v=v: _signed(io, st.m["base"], pred, v))
    base = y0 + boff
    v = src.font_size if enc else None
    size = st.r_size.code(io, v, lambda _p, v=v: _signed(io, st.m["size"], st.prev_size, v))
    if not (0 <= y1 <= MAX_COORD and 0 <= base <= MAX_COORD and 1 <= size <= MAX_FONT_SIZE):
        raise TextLayerError("decoded line geometry out of range")
    font = st.font.code(io, src.font_id if enc else None)
    fg = st.fg.code(io, src.fg if enc else None)
    bg = st.bg.code(io, src.bg if enc else None)
    st.lead, st.prev_y1, st.prev_h, st.prev_boff = y0 - st.prev_y1, y1, h, base - y0
    st.prev_size = size
    words = []
    prev_x1 = 0
    for i, text in enumerate(texts):
        sw = src.words[i] if enc else None
        if i == 0:
            nxt = st.succ.get(st.last_x0)  # the left edge that followed this one last time
            if nxt is not None and nxt in st.left.items:
                st.left.items.remove(nxt)
                st.left.items.insert(0, nxt)
            x0 = st.left.code(io, (sw.x0,) if enc else None)[0]
            st.succ[st.last_x0] = (x0,)
            st.last_x0 = (x0,)
            if not 0 <= x0 <= MAX_COORD:
                raise TextLayerError(f"decoded x0={x0} out of range")
        else:
            pred = _clamp(prev_x1 + size * st.gap_sum // st.gap_den)
            x0 = _res(io, st.m["gap"], pred, sw.x0 if enc else None, "x0")
            st.gap_sum += x0 - prev_x1
            st.gap_den += size
        adv = text_advance(text) * size
        pred = _clamp(x0 + adv * st.w_sum // st.w_den)
        x1 = _res(io, st.m["width"], pred, sw.x1 if enc else None, "x1")
        st.w_sum += x1 - x0
        st.w_den += adv
        if st.w_den > 1 << 26:
            st.w_sum, st.w_den = st.w_sum // 2, st.w_den // 2
        if st.gap_den > 1 << 20:
            st.gap_sum, st.gap_den = st.gap_sum // 2, st.gap_den // 2
        st.w_den, st.gap_den = max(st.w_den, 1), max(st.gap_den, 1)
        drawn = bool(st.drawn.code(io, int(sw.drawn) if enc else None))
        words.append(Word(text, x0, x1, drawn))
        prev_x1 = x1
    return Line(y0, y1, base, font, size, (fg[0], fg[1], fg[2]), (bg[0], bg[1], bg[2]),
                tuple(words))


def _code_geometry(io: _IO, st: _Layout, shape: list[list[int]], texts: list[list[str]],
                   src: TextLayer | None) -> tuple[Block, ...]:
    blocks = []
    it = iter(texts)
    for bi, row in enumerate(shape):
        lines = [_code_line(io, st, next(it), src.blocks[bi].lines[li] if src else None)
                 for li in range(len(row))]
        blocks.append(Block(tuple(lines)))
    return tuple(blocks)


# --- public API ----------------------------------------------------------------------------

def encode_layer(layer: TextLayer) -> bytes:
    """Code `layer` losslessly; raises ValueError for values out of range."""
    validate_layer(layer)
    lang = layer.lang.encode("utf-8")
    words = layer.word_count
    text_bytes = sum(len(w.text.encode("utf-8")) for _, w in layer.words())
    head = (bytes([VERSION]) + _varint(layer.width) + _varint(layer.height)
            + _varint(len(lang)) + lang + _varint(len(layer.blocks)) + _varint(words)
            + _varint(text_bytes))
    io = _IO()
    st = _Layout()
    shape = _code_shape(io, st, len(layer.blocks), layer, words)
    texts = [[w.text for w in line.words] for line in layer.lines()]
    _encode_text(io, texts)
    _code_geometry(io, st, shape, texts, layer)
    return head + io.coder.get_compressed().astype("<u4").tobytes()


def decode_layer(data: bytes) -> TextLayer:
    """Exact inverse of `encode_layer`; corrupt or truncated data -> TextLayerError."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TextLayerError(f"text layer must be bytes, not {type(data).__name__}")
    data = bytes(data)
    if not data:
        raise TextLayerError("empty text layer")
    if data[0] != VERSION:
        raise TextLayerError(f"unknown text layer version {data[0]}")
    pos = 1
    width, pos = _read_varint(data, pos)
    height, pos = _read_varint(data, pos)
    nlang, pos = _read_varint(data, pos)
    if width > MAX_COORD or height > MAX_COORD or nlang > MAX_LANG_BYTES:
        raise TextLayerError("text layer header out of range")
    if pos + nlang > len(data):
        raise TextLayerError("truncated text layer header")
    try:
        lang = data[pos:pos + nlang].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise TextLayerError("text layer language is not UTF-8") from exc
    pos += nlang
    nblocks, pos = _read_varint(data, pos)
    words, pos = _read_varint(data, pos)
    text_bytes, pos = _read_varint(data, pos)
    if nblocks > MAX_LINES or words > MAX_WORDS or text_bytes > MAX_TEXT_BYTES:
        raise TextLayerError("text layer header counts out of range")
    body = data[pos:]
    if len(body) % 4:
        raise TextLayerError("text layer payload is truncated (not whole 32-bit words)")
    if (words == 0) != (text_bytes == 0) or text_bytes < words:
        raise TextLayerError("inconsistent text layer counts")
    io = _IO(np.frombuffer(body, "<u4").astype(np.uint32))
    st = _Layout()
    try:
        shape = _code_shape(io, st, nblocks, None, words)
        if sum(map(sum, shape)) != words:
            raise TextLayerError("text layer holds fewer words than its header announces")
        texts = _decode_text(io, shape, text_bytes)
        blocks = _code_geometry(io, st, shape, texts, None)
    except ValueError as exc:  # constriction rejects some corrupt states
        raise TextLayerError(f"corrupt text layer: {exc}") from exc
    if not io.coder.maybe_exhausted():
        raise TextLayerError("trailing data after the text layer")
    return TextLayer(width, height, lang, blocks)

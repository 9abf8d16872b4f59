"""Lossless coding of the text layer (`ctx-v1`): context-modelled text + layout residuals.

Bytes: version byte, varint header (width, height, lang, block/word/text-byte counts), then
one range-coded stream (constriction, 32-bit words) holding, line by line, the line geometry
(residuals against the previous line), and for each word its UTF-8 bytes + end-of-word under
the adaptive context model (`charmodel`), its x0/x1 residuals against the layout and its
`drawn` flag. Every model is integer-only, so decoding is bit-exact everywhere.
"""

from __future__ import annotations

import numpy as np
import constriction

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
        return int(self.coder.decode(model))

    def uniform(self, size: int, value: int | None) -> int:
        model = Uniform(size)
        if self.enc:
            self.coder.encode(value, model)
            return value  # type: ignore[return-value]
        return int(self.coder.decode(model))


class _Adaptive:
    """Adaptive categorical model over a small alphabet (integer counts)."""

    def __init__(self, n: int, inc: int = 16, limit: int = 1 << 13) -> None:
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
        names = ("nlines", "nwords", "y0", "y1", "base", "size", "x0first", "gap", "width",
                 "fg", "bg")
        self.m = {n: _ExpGolomb() for n in names}
        self.font = _Adaptive(MAX_FONT_ID + 1, inc=32)
        self.drawn = _Adaptive(2, inc=32)
        self.prev_y1 = self.lead = self.prev_h = self.prev_boff = 0
        self.prev_size = 16
        self.first_x0 = 0
        self.gap_sum, self.gap_den = 30, 100  # gap ~ 0.3 font size
        self.w_sum, self.w_den = 55, 100  # char width ~ 0.55 font size
        self.fg = (0, 0, 0)
        self.bg = (255, 255, 255)


def _colour(io: _IO, model: _ExpGolomb, prev: tuple[int, int, int],
            value: tuple[int, int, int] | None) -> tuple[int, int, int]:
    out = []
    for i in range(3):
        d = None if value is None else (value[i] - prev[i] + 128) % 256 - 128
        out.append((prev[i] + model.code(io, d)) % 256)
    return (out[0], out[1], out[2])


def _res(io: _IO, model: _ExpGolomb, pred: int, value: int | None, what: str) -> int:
    """Code `value` as a residual against `pred`; check the decoded value's range."""
    v = pred + model.code(io, None if value is None else value - pred)
    if not 0 <= v <= MAX_COORD:
        raise TextLayerError(f"decoded {what}={v} out of range")
    return v


class _Budget:
    def __init__(self, words: int, text_bytes: int) -> None:
        self.words, self.text_bytes, self.lines = words, text_bytes, MAX_LINES


def _code_word_text(io: _IO, tm: TextModel, text: str | None, last: bool,
                    budget: _Budget) -> str:
    sep = 0x0A if last else 0x20
    if text is not None:
        raw = text.encode("utf-8")
        for b in raw:
            io.cat(tm.probs(), b)
            tm.update(b, b)
        io.cat(tm.probs(), EOW)
        tm.update(EOW, sep)
        return text
    out = bytearray()
    while True:
        b = io.cat(tm.probs(), None)
        if b == EOW:
            tm.update(EOW, sep)
            break
        tm.update(b, b)
        out.append(b)
        if len(out) > budget.text_bytes:
            raise TextLayerError("text layer holds more text than its header announces")
    budget.text_bytes -= len(out)
    if not out:
        raise TextLayerError("empty word in text layer")
    try:
        return out.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise TextLayerError("text layer word is not valid UTF-8") from exc


def _code_line(io: _IO, tm: TextModel, st: _Layout, src: Line | None,
               budget: _Budget) -> Line:
    enc = src is not None
    nwords = st.m["nwords"].code(io, len(src.words) if enc else None)
    if not 0 <= nwords <= budget.words:
        raise TextLayerError("text layer holds more words than its header announces")
    budget.words -= nwords
    y0 = _res(io, st.m["y0"], _clamp(st.prev_y1 + st.lead), src.y0 if enc else None, "y0")
    y1 = _res(io, st.m["y1"], _clamp(y0 + st.prev_h), src.y1 if enc else None, "y1")
    h = y1 - y0
    boff = h * st.prev_boff // st.prev_h if st.prev_h > 0 else h * 3 // 4
    base = _res(io, st.m["base"], _clamp(y0 + boff), src.baseline if enc else None, "baseline")
    size = st.m["size"].code(io, src.font_size - st.prev_size if enc else None) + st.prev_size
    if not 1 <= size <= MAX_FONT_SIZE:
        raise TextLayerError(f"decoded font size {size} out of range")
    font = st.font.code(io, src.font_id if enc else None)
    fg = _colour(io, st.m["fg"], st.fg, src.fg if enc else None)
    bg = _colour(io, st.m["bg"], st.bg, src.bg if enc else None)
    st.lead, st.prev_y1, st.prev_h, st.prev_boff = y0 - st.prev_y1, y1, h, base - y0
    st.prev_size, st.fg, st.bg = size, fg, bg
    words = []
    prev_x1 = 0
    for i in range(nwords):
        sw = src.words[i] if enc else None
        if i == 0:
            x0 = _res(io, st.m["x0first"], st.first_x0, sw.x0 if enc else None, "x0")
            st.first_x0 = x0
        else:
            pred = _clamp(prev_x1 + size * st.gap_sum // st.gap_den)
            x0 = _res(io, st.m["gap"], pred, sw.x0 if enc else None, "x0")
            st.gap_sum += x0 - prev_x1
            st.gap_den += size
        text = _code_word_text(io, tm, sw.text if enc else None, i + 1 == nwords, budget)
        pred = _clamp(x0 + len(text) * size * st.w_sum // st.w_den)
        x1 = _res(io, st.m["width"], pred, sw.x1 if enc else None, "x1")
        st.w_sum += x1 - x0
        st.w_den += len(text) * size
        if st.w_den > 1 << 20:
            st.w_sum, st.w_den = st.w_sum // 2, st.w_den // 2
        if st.gap_den > 1 << 20:
            st.gap_sum, st.gap_den = st.gap_sum // 2, st.gap_den // 2
        st.w_den, st.gap_den = max(st.w_den, 1), max(st.gap_den, 1)
        drawn = bool(st.drawn.code(io, int(sw.drawn) if enc else None))
        words.append(Word(text, x0, x1, drawn))
        prev_x1 = x1
    return Line(y0, y1, base, font, size, fg, bg, tuple(words))


def _code_blocks(io: _IO, nblocks: int, src: TextLayer | None, budget: _Budget,
                 tm: TextModel) -> tuple[Block, ...]:
    st = _Layout()
    blocks = []
    for bi in range(nblocks):
        sb = src.blocks[bi] if src is not None else None
        nlines = st.m["nlines"].code(io, len(sb.lines) if sb is not None else None)
        if not 0 <= nlines <= budget.lines:
            raise TextLayerError("text layer holds too many lines")
        budget.lines -= nlines
        lines = [_code_line(io, tm, st, sb.lines[li] if sb is not None else None, budget)
                 for li in range(nlines)]
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
    _code_blocks(io, len(layer.blocks), layer, _Budget(words, text_bytes),
                 TextModel(charmodel.shipped_prior()))
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
    budget = _Budget(words, text_bytes)
    tm = TextModel(charmodel.shipped_prior())
    try:
        blocks = _code_blocks(io, nblocks, None, budget, tm)
    except ValueError as exc:  # constriction rejects some corrupt states
        raise TextLayerError(f"corrupt text layer: {exc}") from exc
    if budget.words or budget.text_bytes:
        raise TextLayerError("text layer holds fewer words or bytes than its header announces")
    if not io.coder.maybe_exhausted():
        raise TextLayerError("trailing data after the text layer")
    return TextLayer(width, height, lang, blocks)

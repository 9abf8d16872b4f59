"""Damaged and random input: every truncation, every byte flip and Hypothesis fuzzing must give
a FormatError subclass (never another exception, never a hang); valid files round-trip."""

from __future__ import annotations

import contextlib
import struct
import zlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from picd_desktop.format import container as c
from picd_desktop.format.errors import FormatError, TruncatedError

SAMPLE = c.PicdFile(
    c.PicdHeader(800, 600, "RGB", "sRGB", 1_764_000_000_000,
                 (c.Component("base", "avif-ds-v1", bytes(range(32))),
                  c.Component("glyphs", "dejavu-v1", b"\x07" * 32))),
    text=b"text layer bytes " * 3, base=bytes(range(256)) * 2, thumb=b"\x89small-thumb",
    meta={"app": "picd", "n": [1, 2.5, None, True]}, extra={"XTRA": b"future data"},
)
DATA = c.dumps(SAMPLE)
FUZZ = settings(max_examples=300, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow])

pytestmark = pytest.mark.timeout(120)


def parse_or_typed_error(data: bytes, want_base: bool = True) -> c.PicdFile | None:
    """Parse; a FormatError is fine (None), any other exception fails the test."""
    try:
        return c.loads(data, want_base=want_base)
    except FormatError:
        return None


def test_truncation_at_every_offset(tmp_path):
    path = tmp_path / "t.picd"
    kinds = set()
    for n in range(len(DATA)):
        path.write_bytes(DATA[:n])
        for want_base in (True, False):
            with pytest.raises(FormatError) as mem:
                c.loads(DATA[:n], want_base=want_base)
            with pytest.raises(FormatError) as disk:
                c.read(path, want_base=want_base)
            assert type(mem.value) is type(disk.value)
            kinds.add(type(mem.value).__name__)
    assert kinds == {"BadMagicError", "TruncatedError"}
    truncated = sum(isinstance(_err(DATA[:n]), TruncatedError) for n in range(len(DATA)))
    assert truncated == len(DATA) - 1  # all but the empty file


def _err(data: bytes) -> Exception | None:
    try:
        c.loads(data)
    except FormatError as exc:
        return exc
    return None


def test_every_single_byte_flip_is_detected():
    base_at = DATA.index(SAMPLE.base)
    base_span = range(base_at, base_at + len(SAMPLE.base) + 4)  # payload and its CRC
    for pos in range(len(DATA)):
        for mask in (0x01, 0x80, 0xFF):
            bad = bytearray(DATA)
            bad[pos] ^= mask
            with pytest.raises(FormatError):
                c.loads(bytes(bad))
            text_only = parse_or_typed_error(bytes(bad), want_base=False)
            if pos in base_span:  # never read, so never checked
                assert text_only is not None and text_only.text == SAMPLE.text
            else:
                assert text_only is None


@FUZZ
@given(st.binary(max_size=2000))
def test_random_bytes(data):
    assert parse_or_typed_error(data) is None or data.startswith(c.MAGIC)
    with contextlib.suppress(FormatError):
        c.read_header(data)


@FUZZ
@given(st.binary(max_size=600))
def test_random_bytes_after_a_valid_prefix(tail):
    for cut in (10, 200, len(DATA) - 12):
        parse_or_typed_error(DATA[:cut] + tail)
        parse_or_typed_error(DATA[:cut] + tail, want_base=False)


_op = st.one_of(
    st.tuples(st.just("set"), st.integers(0, len(DATA) - 1), st.integers(0, 255)),
    st.tuples(st.just("insert"), st.integers(0, len(DATA)), st.binary(min_size=1, max_size=16)),
    st.tuples(st.just("delete"), st.integers(0, len(DATA) - 1), st.integers(1, 16)),
    st.tuples(st.just("u32"), st.integers(0, len(DATA) - 4), st.sampled_from(
        [0, 1, 4, 0x7FFFFFFF, 0xFFFFFFFF, len(DATA), 4096, 4097, 2**20, 2**30])),
)


def _mutate(data: bytes, ops) -> bytes:
    buf = bytearray(data)
    for kind, pos, arg in ops:
        pos = min(pos, len(buf))
        if kind == "set" and pos < len(buf):
            buf[pos] = arg
        elif kind == "insert":
            buf[pos:pos] = arg
        elif kind == "delete":
            del buf[pos:pos + arg]
        elif kind == "u32":
            buf[pos:pos + 4] = struct.pack("<I", arg)
    return bytes(buf)


@FUZZ
@given(st.lists(_op, min_size=1, max_size=4))
def test_mutated_valid_files(ops):
    data = _mutate(DATA, ops)
    got = parse_or_typed_error(data)
    if got is not None:  # a mutation that survives all CRCs must re-encode to the same bytes
        assert c.dumps(got) == data
    parse_or_typed_error(data, want_base=False)


def _fix_crcs(data: bytes) -> bytes:
    """Recompute the header and section CRCs of a (mutated) file, where its structure parses,
    so the fuzzer reaches the semantic checks behind them."""
    buf = bytearray(data)
    try:
        pos = len(c.MAGIC) + 2 + 19
        for _ in range(buf[len(c.MAGIC) + 20]):
            pos += 1 + buf[pos]
            pos += 1 + buf[pos] + 32
        buf[pos:pos + 4] = struct.pack("<I", zlib.crc32(buf[len(c.MAGIC):pos]))
        pos += 4
        while pos + 8 <= len(buf):
            (n,) = struct.unpack_from("<I", buf, pos + 4)
            end = pos + 8 + n
            if end + 4 > len(buf):
                break
            crc = zlib.crc32(bytes(buf[pos + 8:end]), zlib.crc32(bytes(buf[pos:pos + 4])))
            buf[end:end + 4] = struct.pack("<I", crc)
            pos = end + 4
    except IndexError:
        pass
    return bytes(buf)


@FUZZ
@given(st.lists(_op, min_size=1, max_size=3))
def test_mutated_files_with_repaired_checksums(ops):
    data = _fix_crcs(_mutate(DATA, ops))
    got = parse_or_typed_error(data)
    if got is not None:  # whatever parses must survive a re-encode unchanged
        assert c.loads(c.dumps(got)) == got
    parse_or_typed_error(data, want_base=False)


_name = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=64)
_files = st.builds(
    c.PicdFile,
    header=st.builds(
        c.PicdHeader, width=st.integers(1, 4096), height=st.integers(1, 4096),
        mode=st.sampled_from(["RGB", "L"]), colorspace=st.just("sRGB"),
        created_ms=st.integers(-(2**63), 2**63 - 1),
        components=st.lists(st.builds(c.Component, role=_name, id=_name,
                                      sha256=st.binary(min_size=32, max_size=32)),
                            max_size=4, unique_by=lambda x: x.role).map(tuple)),
    text=st.binary(max_size=300), base=st.binary(max_size=300),
    thumb=st.none() | st.binary(max_size=100),
    meta=st.dictionaries(st.text(max_size=8), st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=10)
        | st.floats(allow_nan=False, allow_infinity=False),
        lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=5), kids,
                                                                   max_size=3),
        max_leaves=8), max_size=4),
    extra=st.dictionaries(
        st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=4, max_size=4)
        .filter(lambda t: t not in c.TAG_LIMITS), st.binary(max_size=50), max_size=3),
)


@settings(FUZZ, max_examples=100)
@given(_files)
def test_round_trip_of_random_files(f):
    data = c.dumps(f)
    assert c.loads(data) == f
    assert c.loads(data, want_base=False).text == f.text
    assert c.read_header(data) == f.header

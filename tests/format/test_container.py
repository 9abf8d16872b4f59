"""The .picd container: round trips, every typed error, header-only and text-only reads, and
atomic writes (including a real disk-full on a tiny tmpfs)."""

from __future__ import annotations

import io
import os
import stat
import struct
import subprocess
import tracemalloc
import zlib
from pathlib import Path

import pytest

from picd_desktop import fsutil
from picd_desktop.format import container as c
from picd_desktop.format.errors import (
    BadMagicError,
    ChecksumError,
    DiskFullError,
    FileAccessError,
    FormatError,
    LimitError,
    MissingSectionError,
    OutputExistsError,
    PicdError,
    TruncatedError,
    UnsupportedVersionError,
    WriteError,
)

COMPS = (c.Component("base", "avif-ds-v1", bytes(range(32))),
         c.Component("text", "textlayer-v1", b"\xab" * 32))
HEADER = c.PicdHeader(1920, 1080, "RGB", "sRGB", 1_764_000_000_123, COMPS)
FULL = c.PicdFile(HEADER, b"the text layer \x00\xff", b"BASE" * 64, b"\x89thumb",
                  {"title": "Fenêtre", "tags": ["a", 1, None, 2.5]},
                  {"XTRA": b"unknown payload", "zz_9": b""})


def raw_header(width=640, height=480, mode=0, space=0, created=0, comps=(),
               version=(1, 0), count=None) -> bytes:
    """A header with a correct CRC, whatever its field values (to reach semantic checks)."""
    body = bytes(version) + struct.pack("<IIBBqB", width, height, mode, space, created,
                                        len(comps) if count is None else count)
    for role, cid, digest in comps:
        body += bytes([len(role)]) + role + bytes([len(cid)]) + cid + digest
    return c.MAGIC + body + struct.pack("<I", zlib.crc32(body))


def raw_section(tag: bytes, payload: bytes, length: int | None = None) -> bytes:
    n = len(payload) if length is None else length
    return tag + struct.pack("<I", n) + payload + struct.pack("<I", zlib.crc32(tag + payload))


def minimal_body(*extra: bytes) -> bytes:
    return (raw_section(b"TEXT", b"t") + raw_section(b"BASE", b"b") + b"".join(extra)
            + raw_section(b"END ", b""))


# --------------------------------------------------------------------------- round trips


def test_round_trip_all_sections_and_unknown_ones():
    data = c.dumps(FULL)
    assert c.loads(data) == FULL
    assert c.dumps(c.loads(data)) == data
    assert c.is_picd(data)
    assert c.read_header(data) == HEADER
    assert HEADER.component("base") == COMPS[0] and HEADER.component("renderer") is None


def test_write_order_is_meta_thumb_text_base_end():
    data = c.dumps(FULL)
    pos = [data.index(t) for t in (b"META", b"THMB", b"TEXT", b"BASE", b"END ")]
    assert pos == sorted(pos)
    assert data.endswith(raw_section(b"END ", b""))


def test_round_trip_minimal_and_empty_payloads():
    for f in (c.PicdFile(c.PicdHeader(1, 1, "L", "sRGB", -5), b"", b""),
              c.PicdFile(c.PicdHeader(65535, 4096, "RGB", "sRGB", 2**63 - 1), b"x", b"y", b"")):
        assert c.loads(c.dumps(f)) == f


def test_read_path_matches_loads_and_skips_base(tmp_path):
    path = tmp_path / "a.picd"
    c.write(path, FULL)
    assert c.read(path) == FULL
    assert c.read(str(path), want_base=False) == c.PicdFile(
        HEADER, FULL.text, None, FULL.thumb, FULL.meta, FULL.extra)
    assert c.loads(path.read_bytes(), want_base=False).base is None
    assert c.read_header(path) == HEADER and c.is_picd(path)


def test_text_only_read_ignores_a_corrupt_base(tmp_path):
    data = bytearray(c.dumps(FULL))
    data[data.index(b"BASE" * 64) + 100] ^= 0x55
    path = tmp_path / "corrupt.picd"
    path.write_bytes(data)
    with pytest.raises(ChecksumError, match="BASE"):
        c.read(path)
    f = c.read(path, want_base=False)
    assert (f.text, f.thumb, f.meta, f.base) == (FULL.text, FULL.thumb, FULL.meta, None)


class CountingFile(io.FileIO):
    """A real file that counts the bytes it hands out."""

    def __init__(self, path):
        super().__init__(path, "rb")
        self.bytes_read = 0

    def read(self, n=-1):
        out = super().read(n)
        self.bytes_read += len(out)
        return out

    def readinto(self, b):
        n = super().readinto(b)
        self.bytes_read += n or 0
        return n


def test_text_only_read_never_reads_the_base_payload(tmp_path):
    base = os.urandom(1 << 20)
    path = tmp_path / "big.picd"
    path.write_bytes(c.dumps(c.PicdFile(HEADER, b"words", base)))
    with CountingFile(path) as f:
        got = c.read(f, want_base=False)
        assert f.bytes_read == path.stat().st_size - len(base) - 4  # payload and its CRC
    assert got.text == b"words" and got.base is None
    with CountingFile(path) as f:
        assert c.read(f).base == base


# --------------------------------------------------------------------------- typed errors


def test_bad_magic_and_text_mode_mangling(tmp_path):
    png = b"\x89PNG\r\n\x1a\n" + bytes(100)
    for data in (png, b"", b"hello world", b"\x00" * 64):
        with pytest.raises(BadMagicError):
            c.loads(data)
        assert not c.is_picd(data)
    mangled = c.dumps(FULL).replace(b"\r\n", b"\n")
    with pytest.raises(BadMagicError, match="text-mode"):
        c.loads(mangled)
    with pytest.raises(TruncatedError):
        c.loads(c.MAGIC[:5])


def test_versions():
    body = minimal_body()
    with pytest.raises(UnsupportedVersionError, match="2.0"):
        c.loads(raw_header(version=(2, 0)) + b"anything at all")
    with pytest.raises(UnsupportedVersionError):
        c.loads(raw_header(version=(0, 9)) + body)
    assert c.loads(raw_header(version=(1, 200)) + body).text == b"t"  # higher minor: accepted


def test_header_and_section_checksums():
    data = bytearray(c.dumps(FULL))
    header_len = len(c.dumps(c.PicdFile(HEADER, b"", b""))) - 3 * 12  # minus 3 empty sections
    for pos in (10, 20, header_len - 1):  # a width byte, created_ms, the header CRC
        bad = bytearray(data)
        bad[pos] ^= 1
        with pytest.raises(ChecksumError, match="header"):
            c.loads(bytes(bad))
    for needle in (b"the text layer", b"unknown payload", b"Fen"):
        bad = bytearray(data)
        bad[bad.index(needle) + 2] ^= 0x20
        with pytest.raises(ChecksumError):
            c.loads(bytes(bad))


@pytest.mark.parametrize("kwargs", [
    dict(width=0), dict(height=0), dict(width=65536), dict(height=2**32 - 1),
    dict(width=65535, height=65535), dict(width=2**14, height=2**14 + 1),
    dict(count=200),
])
def test_absurd_header_values_are_limit_errors(kwargs):
    with pytest.raises(LimitError):
        c.loads(raw_header(**kwargs) + minimal_body())


def test_bad_header_fields():
    body = minimal_body()
    long_id = [(b"base", b"x" * 65, bytes(32))]
    with pytest.raises(LimitError):
        c.loads(raw_header(comps=long_id) + body)
    for kwargs in (dict(mode=2), dict(space=1), dict(comps=[(b"", b"id", bytes(32))]),
                   dict(comps=[(b"ba se", b"id", bytes(32))]),
                   dict(comps=[(b"base", b"a", bytes(32)), (b"base", b"b", bytes(32))])):
        with pytest.raises(FormatError):
            c.loads(raw_header(**kwargs) + body)
    ok = raw_header(width=2**14, height=2**14, comps=[(b"base", b"x" * 64, bytes(32))])
    assert c.loads(ok + body).header.width * c.loads(ok + body).header.height == 2**28


def test_absurd_section_lengths_are_rejected_without_allocation():
    head = raw_header()
    cases = {
        LimitError: [b"BASE" + struct.pack("<I", 2**32 - 1), b"XTRA" + struct.pack("<I", 2**31),
                     b"THMB" + struct.pack("<I", 4097), b"META" + struct.pack("<I", 2**20 + 1),
                     b"END " + struct.pack("<I", 1)],
        TruncatedError: [b"BASE" + struct.pack("<I", 2**30), b"TEXT" + struct.pack("<I", 1000)],
    }
    tracemalloc.start()
    try:
        for err, sections in cases.items():
            for sec in sections:
                with pytest.raises(err):
                    c.loads(head + sec + bytes(200))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20


def test_section_structure_errors():
    h = raw_header()
    t, b, e = raw_section(b"TEXT", b"t"), raw_section(b"BASE", b"b"), raw_section(b"END ", b"")
    x = raw_section(b"XTRA", b"1")
    bad = {
        MissingSectionError: [h + b + e, h + t + e, h + e],
        TruncatedError: [h + t + b, h, h + t + b + e[:6]],
        FormatError: [h + t + t + b + e, h + t + b + x + x + e, h + t + b + e + b"\x00",
                      h + t + b + e + e, h + t + b + raw_section(b"\x00ABC", b"") + e],
    }
    for err, files in bad.items():
        for data in files:
            with pytest.raises(err):
                c.loads(data)
    assert c.loads(h + x + b + t + e).extra == {"XTRA": b"1"}  # any order, unknown kept


@pytest.mark.parametrize("payload", [
    b"[1, 2]", b'"text"', b"{", b"\xff\xfe{}", b'{"a": NaN}', b'{"a": 1, "a": 2}',
    b"[" * 100_000 + b"]" * 100_000, b"",
])
def test_meta_must_be_a_json_object(payload):
    data = raw_header() + minimal_body(raw_section(b"META", payload))
    with pytest.raises(FormatError, match="META"):
        c.loads(data)


def test_dumps_rejects_what_it_cannot_write():
    bad = [
        c.PicdFile(HEADER, b"t", None),
        c.PicdFile(c.PicdHeader(0, 5, "RGB", "sRGB", 0), b"", b""),
        c.PicdFile(c.PicdHeader(5, 5, "RGBA", "sRGB", 0), b"", b""),
        c.PicdFile(c.PicdHeader(5, 5, "RGB", "sRGB", 2**63), b"", b""),
        c.PicdFile(c.PicdHeader(5, 5, "RGB", "sRGB", 0, (c.Component("b", "x", b"1"),)), b"", b""),
        c.PicdFile(c.PicdHeader(5, 5, "RGB", "sRGB", 0, (c.Component("b", "é", bytes(32)),)),
                   b"", b""),
        c.PicdFile(c.PicdHeader(5, 5, "RGB", "sRGB", 0, (c.Component("b", "x" * 65, bytes(32)),)),
                   b"", b""),
        c.PicdFile(HEADER, b"", b"", b"x" * 4097),
        c.PicdFile(HEADER, b"", b"", meta={"x": object()}),
        c.PicdFile(HEADER, b"", b"", meta={"x": float("nan")}),
        c.PicdFile(HEADER, b"", b"", extra={"TEXT": b""}),
        c.PicdFile(HEADER, b"", b"", extra={"LONGER": b""}),
        c.PicdFile(HEADER, b"", b"", extra={"ÄBCD": b""}),
    ]
    for f in bad:
        with pytest.raises(FormatError):
            c.dumps(f)


# --------------------------------------------------------------------------- file access


def test_paths_that_are_not_readable_files(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for path in (tmp_path / "missing.picd", tmp_path, fifo):
        for fn in (c.read, c.read_header):
            with pytest.raises(FileAccessError, match=str(path.name)):
                fn(path)
        assert not c.is_picd(path)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their permissions")
def test_unreadable_file(tmp_path):
    path = tmp_path / "secret.picd"
    c.write(path, FULL)
    path.chmod(0)
    with pytest.raises(FileAccessError, match="permission"):
        c.read(path)


# --------------------------------------------------------------------------- atomic writes


def test_write_atomic_creates_refuses_and_overwrites(tmp_path):
    path = tmp_path / "out.picd"
    fsutil.write_atomic(path, b"one")
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~mask
    with pytest.raises(OutputExistsError, match="overwrite"):
        fsutil.write_atomic(path, b"two")
    assert path.read_bytes() == b"one"
    path.chmod(0o640)
    fsutil.write_atomic(str(path), b"three", overwrite=True)
    assert path.read_bytes() == b"three" and stat.S_IMODE(path.stat().st_mode) == 0o640
    with pytest.raises(OutputExistsError):
        c.write(path, FULL)
    c.write(path, FULL, overwrite=True)
    assert c.read(path) == FULL
    assert os.listdir(tmp_path) == ["out.picd"]  # no temp files left


def test_write_atomic_errors_leave_nothing_behind(tmp_path):
    with pytest.raises(WriteError, match="missing"):
        fsutil.write_atomic(tmp_path / "missing" / "x.picd", b"data")
    (tmp_path / "dir").mkdir()
    with pytest.raises(OutputExistsError):
        fsutil.write_atomic(tmp_path / "dir", b"data")
    with pytest.raises(WriteError):
        fsutil.write_atomic(tmp_path / "dir", b"data", overwrite=True)
    assert sorted(os.listdir(tmp_path)) == ["dir"] and not os.listdir(tmp_path / "dir")


@pytest.fixture
def tiny_tmpfs(tmp_path):
    mnt = tmp_path / "full"
    mnt.mkdir()
    res = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mnt)],
                         capture_output=True, text=True)
    if res.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs to test disk-full (needs root): {res.stderr.strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", str(mnt)], check=True)


def test_disk_full_is_a_typed_error_and_keeps_the_old_file(tiny_tmpfs: Path):
    path = tiny_tmpfs / "out.picd"
    with pytest.raises(DiskFullError, match="out.picd"):
        fsutil.write_atomic(path, os.urandom(1 << 20))
    assert os.listdir(tiny_tmpfs) == []
    fsutil.write_atomic(path, b"old")
    with pytest.raises(DiskFullError) as info:
        fsutil.write_atomic(path, os.urandom(1 << 20), overwrite=True)
    assert isinstance(info.value, PicdError)
    assert path.read_bytes() == b"old" and os.listdir(tiny_tmpfs) == ["out.picd"]


def test_the_spec_example_in_docs_is_what_dumps_writes():
    spec = (Path(__file__).parents[2] / "docs" / "format.md").read_text(encoding="utf-8")
    dump = spec.split("## 4. Example")[1].split("```")[1]
    hex_bytes = []
    for line in dump.strip().splitlines():
        cols = line[10:].split("   ")[0].replace("00 x 32", " ".join(["00"] * 32))
        hex_bytes += cols.split()
    example = c.PicdFile(c.PicdHeader(2, 1, "RGB", "sRGB", 0,
                                      (c.Component("base", "b1", bytes(32)),)), b"hi", b"\x00")
    assert bytes.fromhex("".join(hex_bytes)) == c.dumps(example)

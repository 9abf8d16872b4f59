"""The `.picd` container, format v1.0: header, CRC-protected sections, END. Spec: docs/format.md.

Pure Python (struct, zlib, json). Every length is checked against the bytes that remain and
a per-tag limit before anything is allocated; every failure is a FormatError subclass.
"""

from __future__ import annotations

import json
import os
import stat
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import BinaryIO

from picd_desktop.format.errors import (
    BadMagicError,
    ChecksumError,
    FileAccessError,
    FormatError,
    LimitError,
    MissingSectionError,
    TruncatedError,
    UnsupportedVersionError,
)
from picd_desktop.fsutil import write_atomic

MAGIC = b"\x89PICD\r\n\x1a"
VERSION = (1, 0)

MAX_SIDE = 65535
MAX_PIXELS = 2**28
MAX_COMPONENTS = 16
MAX_NAME = 64  # role and id length in bytes

TAG_TEXT, TAG_BASE, TAG_THMB, TAG_META, TAG_END = "TEXT", "BASE", "THMB", "META", "END "
REQUIRED = (TAG_TEXT, TAG_BASE)
# Largest accepted payload per tag; unknown tags use MAX_UNKNOWN.
TAG_LIMITS = {TAG_TEXT: 64 << 20, TAG_BASE: 1 << 30, TAG_THMB: 4096, TAG_META: 1 << 20, TAG_END: 0}
MAX_UNKNOWN = 16 << 20

_MODES = {0: "RGB", 1: "L"}
_SPACES = {0: "sRGB"}
_FIXED = struct.Struct("<IIBBqB")  # width, height, mode, colour space, created_ms, n components
_SECTION = struct.Struct("<4sI")
_U32 = struct.Struct("<I")
_PREFIX = len(MAGIC) + 2
# Bytes read by read_header(path): the largest possible header.
MAX_HEADER = _PREFIX + _FIXED.size + MAX_COMPONENTS * (2 + 2 * MAX_NAME + 32) + 4

PathOrBytes = str | os.PathLike[str] | bytes | bytearray | memoryview


@dataclass(frozen=True)
class Component:
    """A model or codec the file depends on: role, identifier, sha256 of its parameters."""

    role: str
    id: str
    sha256: bytes  # 32 bytes


@dataclass(frozen=True)
class PicdHeader:
    width: int
    height: int
    mode: str  # "RGB" | "L"
    colorspace: str  # "sRGB"
    created_ms: int  # unix time in milliseconds
    components: tuple[Component, ...] = ()

    def component(self, role: str) -> Component | None:
        """The component with this role, or None."""
        return next((c for c in self.components if c.role == role), None)


@dataclass(frozen=True)
class PicdFile:
    header: PicdHeader
    text: bytes
    base: bytes | None  # None when read with want_base=False
    thumb: bytes | None = None
    meta: dict = field(default_factory=dict)
    extra: dict[str, bytes] = field(default_factory=dict)  # unknown sections, kept verbatim


# --------------------------------------------------------------------------- sources


class _Source:
    """Sequential reader over bytes or a seekable file; never reads past a checked length."""

    def __init__(self, read: Callable[[int], bytes], skip: Callable[[int], None], size: int,
                 pos: int) -> None:
        self._read, self._skip, self.size, self.pos = read, skip, size, pos

    @property
    def remaining(self) -> int:
        return self.size - self.pos

    def take(self, n: int, what: str) -> bytes:
        if n > self.remaining:
            raise TruncatedError(f"file ends inside {what} (offset {self.pos}, needs {n} bytes, "
                                 f"{self.remaining} left)")
        data = self._read(n)
        if len(data) != n:
            raise TruncatedError(f"file shrank while reading {what}")
        self.pos += n
        return data

    def skip(self, n: int, what: str) -> None:
        if n > self.remaining:
            raise TruncatedError(f"file ends inside {what} (offset {self.pos})")
        self._skip(n)
        self.pos += n


def _bytes_source(data: bytes | bytearray | memoryview) -> _Source:
    view = memoryview(data).cast("B")
    src: _Source

    def read(n: int) -> bytes:
        return bytes(view[src.pos:src.pos + n])

    src = _Source(read, lambda n: None, len(view), 0)
    return src


def _file_source(f: BinaryIO) -> _Source:
    start = f.tell()
    end = f.seek(0, os.SEEK_END)
    f.seek(start)
    return _Source(lambda n: _read_full(f, n), lambda n: f.seek(n, os.SEEK_CUR), end, start)


def _read_full(f: BinaryIO, n: int) -> bytes:
    """Read n bytes or up to EOF (raw files may return short reads)."""
    chunks, got = [], 0
    while got < n:
        chunk = f.read(n - got)
        if not chunk:
            break
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def _open(path: str | os.PathLike[str]) -> BinaryIO:
    """Open a regular file for reading; FileAccessError (with the reason) otherwise."""
    name = os.fspath(path)
    flags = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(name, flags)  # O_NONBLOCK: a FIFO must not hang the open
    except FileNotFoundError:
        raise FileAccessError(f"{name}: no such file") from None
    except IsADirectoryError:
        raise FileAccessError(f"{name}: is a directory, not a .picd file") from None
    except PermissionError:
        kind = "is a directory" if os.path.isdir(name) else "permission denied"
        raise FileAccessError(f"{name}: {kind}") from None
    except (OSError, ValueError) as exc:
        raise FileAccessError(f"{name}: cannot open ({exc})") from None
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise FileAccessError(f"{name}: is a directory, not a .picd file")
        if not stat.S_ISREG(mode):
            raise FileAccessError(f"{name}: not a regular file")
        return os.fdopen(fd, "rb", buffering=0)  # unbuffered: no read-ahead into BASE
    except BaseException:
        os.close(fd)
        raise


# --------------------------------------------------------------------------- parsing


def _ascii(raw: bytes, what: str) -> str:
    if not raw or any(b < 0x21 or b > 0x7E for b in raw):
        raise FormatError(f"{what} must be 1..{MAX_NAME} printable ASCII characters, got {raw!r}")
    return raw.decode("ascii")


def _parse_header(src: _Source) -> PicdHeader:
    magic = src.take(min(len(MAGIC), src.remaining), "the magic")
    if not magic:
        raise BadMagicError("not a .picd file: the file is empty")
    if magic != MAGIC[: len(magic)]:
        hint = " (mangled by a text-mode transfer?)" if magic.startswith(b"\x89PICD\n") else ""
        raise BadMagicError(f"not a .picd file: bad magic {magic!r}{hint}")
    if len(magic) < len(MAGIC):
        raise TruncatedError("file ends inside the magic")
    version = src.take(2, "the version")
    major, minor = version
    if major != VERSION[0]:
        raise UnsupportedVersionError(
            f".picd format version {major}.{minor} is not supported (this reader: "
            f"{VERSION[0]}.x); update PICD Desktop")
    fixed = src.take(_FIXED.size, "the header")
    width, height, mode, space, created, count = _FIXED.unpack(fixed)
    if count > MAX_COMPONENTS:
        raise LimitError(f"{count} components (at most {MAX_COMPONENTS})")
    raw_comps = []
    parts = [version, fixed]
    for i in range(count):
        fields = []
        for what in ("role", "id"):
            n = src.take(1, f"component {i} {what}")
            if n[0] > MAX_NAME:
                raise LimitError(f"component {i} {what} is {n[0]} bytes (at most {MAX_NAME})")
            fields.append(src.take(n[0], f"component {i} {what}"))
            parts += [n, fields[-1]]
        digest = src.take(32, f"component {i} sha256")
        parts.append(digest)
        raw_comps.append((*fields, digest))
    (crc,) = _U32.unpack(src.take(4, "the header CRC"))
    if zlib.crc32(b"".join(parts)) != crc:
        raise ChecksumError("header CRC32 mismatch: the file is corrupt")
    if not (1 <= width <= MAX_SIDE and 1 <= height <= MAX_SIDE):
        raise LimitError(f"image size {width}x{height} out of range (1..{MAX_SIDE} per side)")
    if width * height > MAX_PIXELS:
        raise LimitError(f"image of {width}x{height} pixels exceeds {MAX_PIXELS} pixels")
    if mode not in _MODES:
        raise FormatError(f"unknown colour mode {mode}")
    if space not in _SPACES:
        raise FormatError(f"unknown colour space {space}")
    comps = tuple(
        Component(_ascii(r, "component role"), _ascii(i, "component id"), d)
        for r, i, d in raw_comps
    )
    roles = [c.role for c in comps]
    if len(set(roles)) != len(roles):
        raise FormatError(f"duplicate component role in {roles}")
    return PicdHeader(width, height, _MODES[mode], _SPACES[space], created, comps)


def _no_dup_keys(pairs: list[tuple[str, object]]) -> dict:
    out = dict(pairs)
    if len(out) != len(pairs):
        raise FormatError("META has a duplicate key")
    return out


def _bad_constant(name: str) -> None:
    raise FormatError(f"META contains {name}, which is not JSON")


def _parse_meta(payload: bytes) -> dict:
    try:
        meta = json.loads(payload.decode("utf-8"), object_pairs_hook=_no_dup_keys,
                          parse_constant=_bad_constant)
    except FormatError:
        raise
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise FormatError(f"META is not valid UTF-8 JSON: {exc}") from None
    if not isinstance(meta, dict):
        raise FormatError(f"META must be a JSON object, got {type(meta).__name__}")
    return meta


def _parse(src: _Source, want_base: bool) -> PicdFile:
    header = _parse_header(src)
    found: dict[str, bytes | None] = {}
    extra: dict[str, bytes] = {}
    while True:
        if src.remaining == 0:
            raise TruncatedError("file ends without an END section")
        at = src.pos
        raw_tag, length = _SECTION.unpack(src.take(_SECTION.size, "a section header"))
        if any(b < 0x20 or b > 0x7E for b in raw_tag):
            raise FormatError(f"bad section tag {raw_tag!r} at offset {at}")
        tag = raw_tag.decode("ascii")
        if tag in found or tag in extra:
            raise FormatError(f"duplicate section {tag!r} at offset {at}")
        limit = TAG_LIMITS.get(tag, MAX_UNKNOWN)
        if length > limit:
            raise LimitError(f"section {tag!r} at offset {at} is {length} bytes (at most {limit})")
        if length + 4 > src.remaining:
            raise TruncatedError(f"section {tag!r} at offset {at} announces {length} bytes, "
                                 f"only {max(src.remaining - 4, 0)} remain")
        if tag == TAG_BASE and not want_base:
            src.skip(length + 4, "the BASE section")  # neither read nor CRC-checked
            found[tag] = None
            continue
        payload = src.take(length, f"section {tag!r}")
        (crc,) = _U32.unpack(src.take(4, f"the CRC of section {tag!r}"))
        if zlib.crc32(payload, zlib.crc32(raw_tag)) != crc:
            raise ChecksumError(f"section {tag!r} at offset {at}: CRC32 mismatch, file is corrupt")
        if tag == TAG_END:
            break
        if tag in TAG_LIMITS:
            found[tag] = payload
        else:
            extra[tag] = payload
    if src.remaining:
        raise FormatError(f"{src.remaining} unexpected bytes after the END section")
    for tag in REQUIRED:
        if tag not in found:
            raise MissingSectionError(f"required section {tag!r} is missing")
    meta = _parse_meta(found[TAG_META]) if TAG_META in found else {}  # type: ignore[arg-type]
    return PicdFile(header, found[TAG_TEXT] or b"", found[TAG_BASE], found.get(TAG_THMB),
                    meta, extra)


def _guard(fn: Callable[[], PicdFile | PicdHeader]) -> PicdFile | PicdHeader:
    """Run a parser; any stray exception becomes a FormatError (never escapes untyped)."""
    try:
        return fn()
    except FormatError:
        raise
    except (struct.error, ValueError, IndexError, TypeError, KeyError, RecursionError) as exc:
        raise FormatError(f"malformed .picd file: {exc}") from None


# --------------------------------------------------------------------------- public API


def loads(data: bytes | bytearray | memoryview, *, want_base: bool = True) -> PicdFile:
    """Parse a whole `.picd` file held in memory."""
    return _guard(lambda: _parse(_bytes_source(data), want_base))  # type: ignore[return-value]


def read(path: str | os.PathLike[str] | BinaryIO, *, want_base: bool = True) -> PicdFile:
    """Read a `.picd` file (a path, or a seekable binary file object at the file's start).

    With want_base=False the BASE payload is seeked past, never read (nor CRC-checked):
    fast text, thumbnail and header access on large files.
    """
    if hasattr(path, "read"):
        return _read_stream(path, want_base)  # type: ignore[arg-type]
    with _open(path) as f:  # type: ignore[arg-type]
        return _read_stream(f, want_base)


def _read_stream(f: BinaryIO, want_base: bool) -> PicdFile:
    try:
        return _guard(lambda: _parse(_file_source(f), want_base))  # type: ignore[return-value]
    except OSError as exc:
        raise FileAccessError(f"read error: {exc}") from None


def read_header(path_or_bytes: PathOrBytes) -> PicdHeader:
    """Parse only the header (reads at most MAX_HEADER bytes of a file)."""
    if isinstance(path_or_bytes, bytes | bytearray | memoryview):
        data = bytes(memoryview(path_or_bytes)[:MAX_HEADER])
    else:
        with _open(path_or_bytes) as f:
            try:
                data = _read_full(f, MAX_HEADER)
            except OSError as exc:
                raise FileAccessError(f"{os.fspath(path_or_bytes)}: read error: {exc}") from None
    return _guard(lambda: _parse_header(_bytes_source(data)))  # type: ignore[return-value]


def is_picd(path_or_bytes: PathOrBytes) -> bool:
    """True if the data (or the file) starts with the `.picd` magic; False for unreadable paths."""
    if isinstance(path_or_bytes, bytes | bytearray | memoryview):
        return bytes(memoryview(path_or_bytes)[: len(MAGIC)]) == MAGIC
    try:
        with _open(path_or_bytes) as f:
            return f.read(len(MAGIC)) == MAGIC
    except (FileAccessError, OSError):
        return False


# --------------------------------------------------------------------------- writing


def _name(value: str, what: str) -> bytes:
    try:
        raw = value.encode("ascii")
    except (UnicodeEncodeError, AttributeError):
        raise FormatError(f"{what} {value!r} must be ASCII") from None
    if len(raw) > MAX_NAME:
        raise LimitError(f"{what} {value!r} is longer than {MAX_NAME} bytes")
    _ascii(raw, what)
    return raw


def _dump_header(h: PicdHeader) -> bytes:
    if not (1 <= h.width <= MAX_SIDE and 1 <= h.height <= MAX_SIDE) or \
            h.width * h.height > MAX_PIXELS:
        raise LimitError(f"image size {h.width}x{h.height} out of range")
    modes = {v: k for k, v in _MODES.items()}
    spaces = {v: k for k, v in _SPACES.items()}
    if h.mode not in modes or h.colorspace not in spaces:
        raise FormatError(f"unsupported mode/colour space {h.mode!r}/{h.colorspace!r}")
    if len(h.components) > MAX_COMPONENTS:
        raise LimitError(f"{len(h.components)} components (at most {MAX_COMPONENTS})")
    if len({c.role for c in h.components}) != len(h.components):
        raise FormatError("duplicate component role")
    try:
        parts = [bytes(VERSION), _FIXED.pack(h.width, h.height, modes[h.mode],
                                             spaces[h.colorspace], h.created_ms,
                                             len(h.components))]
    except struct.error as exc:
        raise LimitError(f"header field out of range: {exc}") from None
    for c in h.components:
        role, cid = _name(c.role, "component role"), _name(c.id, "component id")
        if not isinstance(c.sha256, bytes) or len(c.sha256) != 32:
            raise FormatError(f"component {c.role!r}: sha256 must be 32 bytes")
        parts += [bytes([len(role)]), role, bytes([len(cid)]), cid, c.sha256]
    body = b"".join(parts)
    return MAGIC + body + _U32.pack(zlib.crc32(body))


def _section(tag: str, payload: bytes) -> bytes:
    raw = tag.encode("ascii")
    limit = TAG_LIMITS.get(tag, MAX_UNKNOWN)
    if len(payload) > limit:
        raise LimitError(f"section {tag!r} is {len(payload)} bytes (at most {limit})")
    crc = zlib.crc32(payload, zlib.crc32(raw))
    return b"".join((_SECTION.pack(raw, len(payload)), payload, _U32.pack(crc)))


def dumps(f: PicdFile) -> bytes:
    """Serialise a PicdFile. Section order: META, THMB, TEXT, BASE, unknown ones, END."""
    if f.base is None:
        raise MissingSectionError("cannot write a .picd file without its BASE section")
    out = [_dump_header(f.header)]
    if f.meta:
        if not isinstance(f.meta, dict):
            raise FormatError("meta must be a dict")
        try:
            text = json.dumps(f.meta, ensure_ascii=False, allow_nan=False, sort_keys=True,
                              separators=(",", ":"))
        except (TypeError, ValueError) as exc:
            raise FormatError(f"meta is not JSON-serialisable: {exc}") from None
        out.append(_section(TAG_META, text.encode("utf-8")))
    if f.thumb is not None:
        out.append(_section(TAG_THMB, bytes(f.thumb)))
    out.append(_section(TAG_TEXT, bytes(f.text)))
    out.append(_section(TAG_BASE, bytes(f.base)))
    for tag, payload in f.extra.items():
        try:
            raw = tag.encode("ascii")
        except (UnicodeEncodeError, AttributeError):
            raw = b""
        if len(raw) != 4 or any(b < 0x20 or b > 0x7E for b in raw) or tag in TAG_LIMITS:
            raise FormatError(f"bad extra section tag {tag!r} (4 printable ASCII, not a known tag)")
        out.append(_section(tag, bytes(payload)))
    out.append(_section(TAG_END, b""))
    return b"".join(out)


def write(path: str | os.PathLike[str], f: PicdFile, *, overwrite: bool = False) -> None:
    """Serialise and write atomically (see fsutil.write_atomic)."""
    write_atomic(path, dumps(f), overwrite=overwrite)

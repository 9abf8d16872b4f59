"""Small column tables (box coordinates, colours) as raw deflate, read back strictly."""

from __future__ import annotations

import zlib

from picd_desktop.format.errors import BaseLayerError


def deflate(raw: bytes) -> bytes:
    """Raw deflate (no zlib header), level 9."""
    z = zlib.compressobj(9, zlib.DEFLATED, -15, 9)
    return z.compress(raw) + z.flush()


def inflate_exact(data: bytes, size: int, what: str) -> bytes:
    """Inflate `data` that must be one complete raw deflate stream of exactly `size` bytes."""
    try:
        z = zlib.decompressobj(-15)
        raw = z.decompress(data, size + 1)
    except zlib.error as exc:
        raise BaseLayerError(f"bad {what}: {exc}") from exc
    if len(raw) != size or not z.eof or z.unconsumed_tail or z.unused_data:
        raise BaseLayerError(f"bad {what}")
    return raw

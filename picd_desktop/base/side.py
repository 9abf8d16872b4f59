"""Exact side payloads a lossy base leaves its hardest pixels to: thin lines as rules
(rules.py) and words on a flat background as ink masks (inkmask.py); shared by the classic and
learned codecs, each framed as a u32-length-prefixed chunk."""

from __future__ import annotations

import struct

import numpy as np

from picd_desktop.base import inkmask, rules
from picd_desktop.format.errors import BaseLayerError
from picd_desktop.text.layer import Box

_LEN = struct.Struct("<I")


def lift_rules(arr: np.ndarray) -> tuple[np.ndarray, bytes]:
    """(arr with its thin lines painted out, their rules payload); (arr, b"") without any."""
    found = rules.detect(arr)
    if not found:
        return arr, b""
    return rules.erase(arr, found), rules.encode(found)


def lift_inks(arr: np.ndarray, crops: list[Box], bits: int, coverage: np.ndarray | None
              ) -> tuple[np.ndarray, bytes, list[Box]]:
    """(arr with the ink of flat-background crops painted out, their ink-mask payload coded
    against `coverage`, the crops left to code otherwise)."""
    inks, rest = inkmask.split(arr, crops, bits)
    if not inks:
        return arr, b"", rest
    return inkmask.erase(arr, inks), inkmask.encode_masks(inks, bits, coverage), rest


def frame(*payloads: bytes) -> bytes:
    """The non-empty payloads, each as a u32-length-prefixed chunk."""
    return b"".join(_LEN.pack(len(p)) + p for p in payloads if p)


def chunk(data: bytes, at: int, what: str) -> tuple[bytes, int]:
    """A u32-length-prefixed part of the payload at `at`, and where the next part starts."""
    if at + _LEN.size > len(data):
        raise BaseLayerError(f"base layer payload truncated ({what})")
    (n,) = _LEN.unpack_from(data, at)
    start, end = at + _LEN.size, at + _LEN.size + n
    if end > len(data):
        raise BaseLayerError(f"base layer payload truncated ({what})")
    return data[start:end], end


def paint(canvas: np.ndarray, lines: bytes | None, ink: bytes | None,
          coverage: np.ndarray | None) -> None:
    """Paint the rules, then the ink masks (coded against `coverage`), onto `canvas` in place."""
    if lines is not None:
        rules.paint(lines, canvas)
    if ink is not None:
        inkmask.decode_masks(ink, canvas, coverage)

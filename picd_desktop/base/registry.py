"""Base-layer codecs by id, so a `.picd` reader finds the codec its header names."""

from __future__ import annotations

import importlib

from picd_desktop.base.classic import ClassicCodec
from picd_desktop.base.codec import BaseCodec
from picd_desktop.base.lossless import LosslessCodec
from picd_desktop.format.errors import UnknownModelError

_CODECS: dict[str, BaseCodec] = {}
# Codecs imported on first use (torch + compressai are heavy): id -> "module:class", built as
# class(id). Older learned models stay listed so that files made with them still decode.
_LAZY: dict[str, str] = {"learned-hp-v1": "picd_desktop.base.learned:LearnedCodec",
                         "learned-hp-v2": "picd_desktop.base.learned:LearnedCodec",
                         "learned-hp-v3": "picd_desktop.base.learned:LearnedCodec",
                         "learned-hp-v4": "picd_desktop.base.learned:LearnedCodec",
                         "learned-hp-v5": "picd_desktop.base.learned:LearnedCodec",
                         "learned-hp-v6": "picd_desktop.base.learned:LearnedCodec"}


def register(codec: BaseCodec, replace: bool = False) -> None:
    """Make `codec` available under `codec.id` (a second codec under a taken id needs
    `replace=True`)."""
    if not isinstance(codec, BaseCodec):
        raise TypeError(f"{codec!r} does not implement BaseCodec")
    old = _CODECS.get(codec.id)
    if old is not None and old is not codec and not replace:
        raise ValueError(f"a base codec with id {codec.id!r} is already registered")
    _CODECS[codec.id] = codec


def get_codec(codec_id: str, sha256: str | None = None) -> BaseCodec:
    """The codec registered as `codec_id`; with `sha256`, it must match the codec's too.

    Raises UnknownModelError when there is no such codec (or its parameters differ)."""
    codec = _CODECS.get(codec_id)
    if codec is None and codec_id in _LAZY:
        codec = _load_lazy(codec_id)
    if codec is None:
        raise UnknownModelError(
            f"unknown base codec {codec_id!r} (available: {', '.join(available())})")
    if sha256 is not None and sha256 != codec.sha256:
        raise UnknownModelError(
            f"base codec {codec_id!r} here has sha256 {codec.sha256[:12]}..., "
            f"the file needs {sha256[:12]}...")
    return codec


def default_codec() -> BaseCodec:
    """The codec new files use: the classic AVIF codec."""
    return _CODECS[ClassicCodec.id]


def available() -> list[str]:
    """Ids of the registered codecs (loaded or not), sorted."""
    return sorted(set(_CODECS) | set(_LAZY))


def _load_lazy(codec_id: str) -> BaseCodec:
    module, _, name = _LAZY[codec_id].partition(":")
    try:
        codec = getattr(importlib.import_module(module), name)(codec_id)
    except ImportError as exc:
        raise UnknownModelError(
            f"base codec {codec_id!r} needs a package that is not installed: {exc}") from exc
    register(codec)
    return codec


register(ClassicCodec())
register(LosslessCodec())

"""The base-layer codec interface: the lossy (or lossless) image under the text layer."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from PIL import Image

from picd_desktop.text.layer import Box, TextLayer

QUALITY_MIN = 1.0
QUALITY_MAX = 8.0


@runtime_checkable
class BaseCodec(Protocol):
    """Codes an RGB image to bytes and back; decoding is bit-exact on any machine.

    `id` and `sha256` identify the codec (and its weights or parameters) in the `.picd`
    header, so a reader refuses a file it cannot decode faithfully.
    """

    id: str
    sha256: str

    def encode(self, image: Image.Image, quality: float, roi: list[Box] | None = None,
               layer: TextLayer | None = None) -> bytes:
        """Code `image` (mode RGB) at `quality` in [QUALITY_MIN, QUALITY_MAX] (higher = more bits).

        `roi` lists boxes that must stay legible (words the text layer will not draw): the
        codec spends extra bits there. `layer` is the text layer stored beside the base: the
        codec may condition on it (the decoder is then given the same layer).
        """
        ...

    def decode(self, data: bytes, size: tuple[int, int],
               layer: TextLayer | None = None) -> Image.Image:
        """Decode to an RGB image of `size` (width, height), given the encoder's `layer`.
        Raises BaseLayerError on bad data."""
        ...

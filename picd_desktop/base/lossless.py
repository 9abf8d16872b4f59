"""LosslessCodec: WebP lossless and JPEG XL lossless, whichever is smaller; decode is exact.

Payload: u8 format (0 WebP, 1 JPEG XL), then the coded image.
"""

from __future__ import annotations

import hashlib
import io

import imagecodecs
import numpy as np
from PIL import Image

from picd_desktop.base.classic import check_size
from picd_desktop.format.errors import BaseLayerError, InputImageError
from picd_desktop.text.layer import Box, TextLayer

WEBP, JXL = 0, 1
WEBP_METHOD = 4  # method 6: 0-5% smaller, 4-13x slower (bench/results/base_choice.md)
JXL_EFFORT = 5  # effort 3 loses to WebP; effort 7: 1-6% smaller for ~2x the time


def webp_encode(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, "WEBP", lossless=True, quality=100, method=WEBP_METHOD, exact=True)
    return buf.getvalue()


def jxl_encode(image: Image.Image) -> bytes:
    return bytes(imagecodecs.jpegxl_encode(np.asarray(image), lossless=True, effort=JXL_EFFORT,
                                           numthreads=1))


class LosslessCodec:
    """Exact base layer: the smaller of WebP lossless and JPEG XL lossless."""

    id = "lossless-v1"
    sha256 = hashlib.sha256(b"lossless-v1;0:webp-lossless;1:jxl-lossless;rgb8").hexdigest()

    def encode(self, image: Image.Image, quality: float = 8.0, roi: list[Box] | None = None,
               layer: TextLayer | None = None) -> bytes:
        """Code `image` exactly (converted to RGB); `quality`, `roi` and `layer` are ignored."""
        if image.width < 1 or image.height < 1:
            raise InputImageError(f"empty image {image.size}")
        image = image.convert("RGB")
        candidates = [bytes([WEBP]) + webp_encode(image), bytes([JXL]) + jxl_encode(image)]
        return min(candidates, key=len)

    def decode(self, data: bytes, size: tuple[int, int],
               layer: TextLayer | None = None) -> Image.Image:
        w, h = check_size(size)
        if len(data) < 2 or data[0] not in (WEBP, JXL):
            raise BaseLayerError("bad lossless base layer header")
        body = data[1:]
        try:
            if data[0] == WEBP:
                im = Image.open(io.BytesIO(body), formats=["WEBP"])
                if im.size != (w, h):
                    raise BaseLayerError(f"WebP picture is {im.size}, expected {(w, h)}")
                im.load()
                out = im.convert("RGB")
            else:
                info = imagecodecs.jpegxl_check(body)
                if not info:
                    raise BaseLayerError("not a JPEG XL stream")
                # A preallocated `out` makes a wrong (or absurd) announced size an error, not
                # an allocation.
                arr = imagecodecs.jpegxl_decode(body, numthreads=1,
                                                out=np.empty((h, w, 3), np.uint8))
                out = Image.fromarray(arr, "RGB")
        except BaseLayerError:
            raise
        except Exception as exc:  # codecs raise OSError, ValueError, JpegxlError ... on bad data
            raise BaseLayerError(f"cannot decode lossless base layer: {exc}") from exc
        return out

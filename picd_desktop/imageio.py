"""Reading input images safely and making thumbnails."""

from __future__ import annotations

import io
import os
import warnings
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from picd_desktop.format.errors import InputImageError

MAX_SIDE = 65535
MAX_PIXELS = 1 << 28  # the format's limit: 268 Mpx
THUMB_MAX_BYTES = 4096  # the format's limit
THUMB_MIN_BYTES = 256
THUMB_BYTES_PER_PIXEL = 1 / 4000  # ~0.002 bpp of the image: ~520 B for 1920x1080
THUMB_SIDE = 160

ImageSource = Image.Image | str | os.PathLike | bytes


def load_image(source: ImageSource) -> Image.Image:
    """Open an image from a path, bytes or PIL image and return it as 8-bit RGB.

    Alpha is flattened onto white. Raises InputImageError for anything that is not a usable
    image: missing file, wrong type, corrupt data, empty or oversized dimensions.
    """
    if isinstance(source, Image.Image):
        image = source
        name = "image"
    else:
        name = "<bytes>" if isinstance(source, bytes) else str(source)
        try:
            raw = source if isinstance(source, bytes) else Path(source).read_bytes()
        except OSError as exc:
            raise InputImageError(f"cannot read {name}: {exc.strerror or exc}") from exc
        try:
            with warnings.catch_warnings(), io.BytesIO(raw) as fp:
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                image = Image.open(fp)
                _check_size(image.size, name)
                image.load()
        except InputImageError:
            raise
        except Image.DecompressionBombError as exc:
            raise InputImageError(f"{name} is too large to open safely ({exc})") from exc
        except UnidentifiedImageError as exc:
            raise InputImageError(f"{name} is not a supported image file") from exc
        except (OSError, ValueError, SyntaxError) as exc:
            raise InputImageError(f"{name} is corrupt or truncated ({exc})") from exc
    _check_size(image.size, name)
    return to_rgb(image)


def _check_size(size: tuple[int, int], name: str) -> None:
    w, h = size
    if w < 1 or h < 1:
        raise InputImageError(f"{name} is empty ({w}x{h})")
    if w > MAX_SIDE or h > MAX_SIDE or w * h > MAX_PIXELS:
        raise InputImageError(f"{name} is too large ({w}x{h}; max {MAX_SIDE} per side, "
                              f"{MAX_PIXELS} pixels)")


def to_rgb(image: Image.Image) -> Image.Image:
    """8-bit RGB; transparency flattened onto white."""
    if image.mode == "RGB":
        return image
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        image = image.point(lambda v: v / 256).convert("L")
    if image.mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA"):
        rgba = image.convert("RGBA")
        canvas = Image.new("RGB", rgba.size, (255, 255, 255))
        canvas.paste(rgba, mask=rgba.getchannel("A"))
        return canvas
    return image.convert("RGB")


def thumbnail_budget(size: tuple[int, int]) -> int:
    """Thumbnail bytes allowed for an image of `size`: small images get small thumbnails."""
    pixels = size[0] * size[1]
    return int(min(THUMB_MAX_BYTES, max(THUMB_MIN_BYTES, pixels * THUMB_BYTES_PER_PIXEL)))


def make_thumbnail(image: Image.Image, max_bytes: int | None = None) -> bytes:
    """A WebP thumbnail (long side <= THUMB_SIDE) within `max_bytes` (default: by image size)."""
    max_bytes = thumbnail_budget(image.size) if max_bytes is None else max_bytes
    side = THUMB_SIDE
    while side >= 16:
        thumb = image.copy()
        thumb.thumbnail((side, side), Image.Resampling.LANCZOS)
        for quality in (50, 35, 25, 15):
            buf = io.BytesIO()
            thumb.save(buf, "WEBP", quality=quality, method=4)
            if buf.tell() <= max_bytes:
                return buf.getvalue()
        side //= 2
    thumb = image.resize((1, 1), Image.Resampling.BOX)  # a single colour always fits
    buf = io.BytesIO()
    thumb.save(buf, "WEBP", quality=20)
    return buf.getvalue()


def open_thumbnail(data: bytes) -> Image.Image:
    """Decode a THMB payload."""
    with Image.open(io.BytesIO(data)) as im:
        im.load()
        return im.convert("RGB")

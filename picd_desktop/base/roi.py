"""Regions of interest: small full-resolution crops (words to keep legible) coded at high quality.

Boxes are merged (with a margin), cropped from the full-resolution image and either packed
into one atlas image or coded one by one, whichever is smaller; the decoder pastes them back.

Payload: u8 mode (0 atlas, 1 separate), u16 count, per crop u16 x, y, w, h (and u16 ax, ay in
the atlas), then u32-length-prefixed AVIF images (one atlas, or one per crop).
"""

from __future__ import annotations

import struct
from collections.abc import Callable

from PIL import Image

from picd_desktop.format.errors import BaseLayerError
from picd_desktop.text.layer import Box

MARGIN = 3
MAX_CROPS = 4096
MAX_ATLAS_SIDE = 16384
SEPARATE_MAX = 8  # beyond, ~250 B of AVIF headers per crop always lose to the atlas
_ALIGN = 4
_ATLAS, _SEPARATE = 0, 1

Encoder = Callable[[Image.Image], bytes]
Decoder = Callable[[bytes, int], Image.Image]  # (payload, max pixel count) -> RGB image


def merge_boxes(boxes: list[Box], size: tuple[int, int], margin: int = MARGIN) -> list[Box]:
    """Grow boxes by `margin`, clip to the image, drop empty ones and merge those that touch."""
    w, h = size
    grown = [(max(0, x0 - margin), max(0, y0 - margin), min(w, x1 + margin), min(h, y1 + margin))
             for x0, y0, x1, y1 in boxes]
    out = [b for b in grown if b[2] > b[0] and b[3] > b[1]]
    merged = True
    while merged:
        merged = False
        out.sort()
        result: list[Box] = []
        for b in out:
            for i, r in enumerate(result):
                if b[0] <= r[2] and r[0] <= b[2] and b[1] <= r[3] and r[1] <= b[3]:
                    result[i] = (min(r[0], b[0]), min(r[1], b[1]), max(r[2], b[2]),
                                 max(r[3], b[3]))
                    merged = True
                    break
            else:
                result.append(b)
        out = result
    return sorted(out, key=lambda b: (b[1], b[0]))


def pack(sizes: list[tuple[int, int]], align: int = _ALIGN
         ) -> tuple[list[tuple[int, int]], tuple[int, int]]:
    """Shelf-pack (w, h) rectangles (tallest first), each rounded up to a multiple of `align`;
    returns their positions and the atlas size. Deterministic: decoders re-run it."""
    up = [(-(-w // align) * align, -(-h // align) * align) for w, h in sizes]
    area = sum(w * h for w, h in up)
    width = max(max(w for w, _ in up), int((area * 2) ** 0.5) // align * align)
    order = sorted(range(len(up)), key=lambda i: (-up[i][1], i))
    pos: list[tuple[int, int]] = [(0, 0)] * len(up)
    x = y = shelf = 0
    for i in order:
        w, h = up[i]
        if x + w > width:
            x, y, shelf = 0, y + shelf, 0
        pos[i] = (x, y)
        x += w
        shelf = max(shelf, h)
    return pos, (width, y + shelf)


def encode_roi(image: Image.Image, boxes: list[Box], encode: Encoder, margin: int = MARGIN
               ) -> bytes:
    """Code the `boxes` of `image` (RGB, full resolution), grown by `margin` and merged, with
    `encode`."""
    crops = merge_boxes(boxes, image.size, margin)[:MAX_CROPS]
    if not crops:
        return b""
    tiles = [image.crop(b) for b in crops]
    head = struct.pack("<H", len(crops))
    pos, atlas_size = pack([t.size for t in tiles])
    use_atlas = len(crops) > 1 and max(atlas_size) <= MAX_ATLAS_SIDE
    sep = bytearray()
    if not use_atlas or len(crops) <= SEPARATE_MAX:  # one AVIF per crop
        sep += struct.pack("<B", _SEPARATE) + head
        for (x0, y0, x1, y1) in crops:
            sep += struct.pack("<4H", x0, y0, x1 - x0, y1 - y0)
        for t in tiles:
            data = encode(t)
            sep += struct.pack("<I", len(data)) + data
    if not use_atlas:
        return bytes(sep)
    # Atlas: all crops in one image.
    atlas = Image.new("RGB", atlas_size)
    for t, p in zip(tiles, pos, strict=True):
        atlas.paste(t, p)
    packed = bytearray(struct.pack("<B", _ATLAS) + head)
    for (x0, y0, x1, y1), (ax, ay) in zip(crops, pos, strict=True):
        packed += struct.pack("<6H", x0, y0, x1 - x0, y1 - y0, ax, ay)
    data = encode(atlas)
    packed += struct.pack("<I", len(data)) + data
    return bytes(min(sep, packed, key=len) if sep else packed)


def _take(data: bytes, at: int, n: int) -> tuple[bytes, int]:
    if at + n > len(data):
        raise BaseLayerError("truncated ROI payload")
    return data[at:at + n], at + n


def decode_roi(data: bytes, canvas: Image.Image, decode: Decoder) -> None:
    """Paste the crops coded in `data` onto `canvas` (RGB, full resolution) in place."""
    if not data:
        return
    (mode, count), at = struct.unpack("<BH", _take(data, 0, 3)[0]), 3
    if mode not in (_ATLAS, _SEPARATE) or not 0 < count <= MAX_CROPS:
        raise BaseLayerError(f"bad ROI header (mode {mode}, {count} crops)")
    fields = 6 if mode == _ATLAS else 4
    rects = []
    for _ in range(count):
        raw, at = _take(data, at, 2 * fields)
        r = struct.unpack(f"<{fields}H", raw)
        x, y, w, h = r[:4]
        if w == 0 or h == 0 or x + w > canvas.width or y + h > canvas.height:
            raise BaseLayerError(f"ROI crop {r[:4]} outside the {canvas.size} image")
        rects.append(r)
    images = []
    for _ in range(1 if mode == _ATLAS else count):
        (n,), at = struct.unpack("<I", _take(data, at, 4)[0]), at + 4
        payload, at = _take(data, at, n)
        images.append(payload)
    if at != len(data):
        raise BaseLayerError("trailing bytes after the ROI payload")
    if mode == _SEPARATE:
        for (x, y, w, h), payload in zip(rects, images, strict=True):
            tile = decode(payload, w * h)
            if tile.size != (w, h):
                raise BaseLayerError(f"ROI crop is {tile.size}, expected {(w, h)}")
            canvas.paste(tile, (x, y))
        return
    atlas = decode(images[0], 4 * canvas.width * canvas.height + 65536)
    for x, y, w, h, ax, ay in rects:
        if ax + w > atlas.width or ay + h > atlas.height:
            raise BaseLayerError("ROI crop outside its atlas")
        canvas.paste(atlas.crop((ax, ay, ax + w, ay + h)), (x, y))


def decode_tail(data: bytes, pos: int, canvas: Image.Image, has_roi: bool,
                decode: Decoder) -> None:
    """The end of a base-layer payload: the ROI crops from `pos` when `has_roi` (pasted onto
    `canvas`), else nothing at all may follow."""
    if has_roi:
        if pos == len(data):
            raise BaseLayerError("base layer payload truncated (ROI)")
        decode_roi(data[pos:], canvas, decode)
    elif pos != len(data):
        raise BaseLayerError("trailing bytes after the base layer")

"""The public API of PICD: encode, decode, read_text, info. The CLI and the GUI use only this.

    data = encode("shot.png", quality=3)          # -> .picd bytes
    image = decode(data)                           # -> PIL RGB image
    layer = read_text("shot.picd")                 # text layer only, never touches the image
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from picd_desktop import __version__
from picd_desktop.base import registry as base_registry
from picd_desktop.base.codec import QUALITY_MAX, QUALITY_MIN, BaseCodec
from picd_desktop.base.inkmask import two_colours
from picd_desktop.base.roi import MARGIN as ROI_MARGIN
from picd_desktop.format import container
from picd_desktop.format.container import Component, PicdFile, PicdHeader
from picd_desktop.format.errors import MissingSectionError, PicdError, UnknownModelError
from picd_desktop.imageio import ImageSource, load_image, make_thumbnail
from picd_desktop.render import registry as render_registry
from picd_desktop.render.renderer import CancelFn, ProgressFn
from picd_desktop.text import coder, fonts
from picd_desktop.text.fit import build_layer
from picd_desktop.text.glyphs import draw_glyphs
from picd_desktop.text.layer import TextLayer
from picd_desktop.text.photo import encoder_ocr
from picd_desktop.text.residual import residual_ink_boxes

DEFAULT_QUALITY = 3
LOSSLESS_CODEC_ID = "lossless-v1"
DEFAULT_RENDERER = "composite"

# stage(name, done, total): encode progress for CLIs and GUIs ("ocr", "base", "write").
StageFn = Callable[[str, int, int], None]
PicdSource = str | os.PathLike | bytes


@dataclass(frozen=True)
class PicdInfo:
    """What `info` reports about a `.picd` file (read without decoding the image)."""

    width: int
    height: int
    file_bytes: int
    text_bytes: int
    base_bytes: int
    thumb_bytes: int
    created_ms: int
    components: dict[str, str]
    words: int
    drawn_words: int
    meta: dict = field(default_factory=dict)

    @property
    def bpp(self) -> float:
        return 8 * self.file_bytes / (self.width * self.height)

    @property
    def lossless(self) -> bool:
        return self.components.get("base") == LOSSLESS_CODEC_ID


def encode(
    image: ImageSource,
    *,
    quality: float | None = None,
    target_bpp: float | None = None,
    lang: str = "eng",
    lossless: bool = False,
    base: str | None = None,
    meta: dict | None = None,
    stage: StageFn | None = None,
) -> bytes:
    """Compress an image (path, bytes or PIL image) into `.picd` bytes.

    `quality` in 1..8 (higher = larger, better) or `target_bpp` (whole-file bits per pixel;
    the closest quality at or below it is chosen). `lossless` keeps exact pixels and the text
    layer. `base` picks the base-layer codec by id (`base_codecs()`; default: the classic
    codec, which wins the project's benchmarks). Raises InputImageError, OcrUnavailableError,
    OcrFailedError, UnknownModelError or ValueError.
    """
    if quality is not None and target_bpp is not None:
        raise ValueError("give quality or target_bpp, not both")
    check_base_codec(base, lossless)
    if quality is not None and not QUALITY_MIN <= quality <= QUALITY_MAX:
        raise ValueError(f"quality must be in {QUALITY_MIN:g}..{QUALITY_MAX:g}, got {quality}")
    if target_bpp is not None and not target_bpp > 0:
        raise ValueError(f"target_bpp must be positive, got {target_bpp}")
    report = stage or (lambda *_: None)
    rgb = load_image(image)
    width, height = rgb.size

    report("ocr", 0, 3)
    page, photo = encoder_ocr(rgb, lang)  # a photo keeps only confident words (no ROI on noise)
    layer, cleaned, roi = build_layer(rgb, page)
    if not photo:
        roi = roi + _residual_roi(rgb, layer)
    text = coder.encode_layer(layer)
    thumb = make_thumbnail(rgb)
    meta = {"app": f"picd-desktop {__version__}", **(meta or {})}

    report("base", 1, 3)
    if lossless:
        codec = base_registry.get_codec(LOSSLESS_CODEC_ID)
        payload = codec.encode(rgb, QUALITY_MAX)
    else:
        codec = _default_codec() if base is None else base_registry.get_codec(base)
        if target_bpp is not None:
            budget = int(target_bpp * width * height / 8) - len(text) - len(thumb) - _OVERHEAD
            payload = _encode_to_budget(codec, cleaned, roi, budget, layer)
        else:
            payload = codec.encode(cleaned, float(quality or DEFAULT_QUALITY), roi, layer)

    report("write", 2, 3)
    header = PicdHeader(
        width=width,
        height=height,
        mode="RGB",
        colorspace="sRGB",
        created_ms=int(time.time() * 1000),
        components=(
            Component("base", codec.id, _digest(codec.sha256)),
            Component("text", coder.CODER_ID, _digest(coder.CODER_SHA256)),
            Component("glyphs", fonts.FONTSET_ID, _digest(fonts.FONTSET_SHA256)),
        ),
    )
    data = container.dumps(
        PicdFile(header=header, text=text, base=payload, thumb=thumb, meta=meta, extra={})
    )
    report("write", 3, 3)
    return data


_OVERHEAD = 200  # header + section framing, bytes (upper bound)


def _digest(value: str | bytes) -> bytes:
    """A sha256 as 32 bytes, from bytes or hex text."""
    return value if isinstance(value, bytes) else bytes.fromhex(value)


def _residual_roi(image: Image.Image, layer: TextLayer) -> list:
    """Text-like ink OCR missed, where it is plain two-colour ink (cheap to keep legible)."""
    pixels = np.asarray(image)
    h, w = pixels.shape[:2]
    keep = []
    for box in residual_ink_boxes(image, layer):
        x0, y0, x1, y1 = box  # judged with the margin the codec codes around it
        patch = pixels[max(0, y0 - ROI_MARGIN) : min(h, y1 + ROI_MARGIN),
                       max(0, x0 - ROI_MARGIN) : min(w, x1 + ROI_MARGIN)]
        if two_colours(patch) is not None:
            keep.append(box)
    return keep


def _default_codec() -> BaseCodec:
    return base_registry.default_codec()


def default_base_codec() -> str:
    """Id of the base codec new files use unless `encode(base=...)` says otherwise."""
    return _default_codec().id


def base_codecs() -> list[str]:
    """Ids of the lossy base codecs `encode(base=...)` accepts (the default among them)."""
    return [i for i in base_registry.available() if i != LOSSLESS_CODEC_ID]


def check_base_codec(base: str | None, lossless: bool = False) -> None:
    """Raise ValueError unless `encode(base=base, lossless=lossless)` can use that codec."""
    if base is None:
        return
    if lossless:
        raise ValueError("give a base codec or lossless, not both")
    if base not in base_codecs():
        raise ValueError(f"unknown base codec {base!r} (available: {', '.join(base_codecs())})")


def _encode_to_budget(codec: BaseCodec, image: Image.Image, roi, budget: int,
                      layer: TextLayer) -> bytes:
    """The largest base-layer encoding not above `budget` bytes (bisection over quality)."""
    lo, hi = QUALITY_MIN, QUALITY_MAX
    best = codec.encode(image, lo, roi, layer)
    if len(best) > budget:
        return best  # the lowest quality is the best we can do
    top = codec.encode(image, hi, roi, layer)
    if len(top) <= budget:
        return top
    for _ in range(7):
        mid = (lo + hi) / 2
        candidate = codec.encode(image, mid, roi, layer)
        if len(candidate) <= budget:
            lo, best = mid, candidate
        else:
            hi = mid
    return best


def _read(source: PicdSource, *, want_base: bool) -> PicdFile:
    if isinstance(source, bytes):
        return container.loads(source, want_base=want_base)
    return container.read(source, want_base=want_base)


def _check_components(header: PicdHeader) -> BaseCodec:
    """Refuse files whose codec, text coder or fonts differ from what is installed."""
    text = header.component("text")
    glyphs = header.component("glyphs")
    base = header.component("base")
    if text is None or base is None:
        raise MissingSectionError("the header does not name its base codec and text coder")
    if (text.id, text.sha256) != (coder.CODER_ID, _digest(coder.CODER_SHA256)):
        raise UnknownModelError(f"text coder {text.id} ({text.sha256.hex()[:12]}) is not installed")
    if glyphs is not None and (glyphs.id, glyphs.sha256) != (
        fonts.FONTSET_ID,
        _digest(fonts.FONTSET_SHA256),
    ):
        raise UnknownModelError(f"glyph font set {glyphs.id} ({glyphs.sha256.hex()[:12]}) "
                                "is not installed")
    codec = base_registry.get_codec(base.id)
    if _digest(codec.sha256) != base.sha256:
        raise UnknownModelError(f"base codec {base.id} ({base.sha256.hex()[:12]}) differs from "
                                f"the installed one ({codec.sha256[:12]})")
    return codec


def decode(
    source: PicdSource,
    *,
    renderer: str = DEFAULT_RENDERER,
    device: str = "auto",
    steps: int | None = None,
    guidance: bool = False,
    seed: int = 0,
    progress: ProgressFn | None = None,
    cancel: CancelFn | None = None,
) -> Image.Image:
    """Decode `.picd` bytes or a path to an RGB image.

    `renderer` is one of `available_renderers()`; "diffusion" takes `device` (auto, cpu,
    cuda), `steps` (default 2), `guidance` (OCR + re-compression guidance) and `seed`.
    `progress(step, total, preview)` receives intermediate renders; `cancel()` returning True
    stops the render (Cancelled). Lossless files decode to their exact pixels.
    """
    pf = _read(source, want_base=True)
    codec = _check_components(pf.header)
    if pf.base is None:
        raise MissingSectionError("the file has no BASE section")
    size = (pf.header.width, pf.header.height)
    layer = coder.decode_layer(pf.text)
    base = codec.decode(pf.base, size, layer)
    if codec.id == LOSSLESS_CODEC_ID:
        if progress:
            progress(1, 1, base)
        return base
    options: dict = {}
    if renderer != DEFAULT_RENDERER:
        options = {"device": device, "steps": steps, "guidance": guidance, "seed": seed}
    render = render_registry.get_renderer(renderer, **options)
    return render.render(base, draw_glyphs(layer), layer, progress=progress, cancel=cancel)


def available_renderers() -> list[str]:
    """Names accepted by `decode(renderer=...)`."""
    return render_registry.available_renderers()


def decode_layers(source: PicdSource) -> tuple[Image.Image, TextLayer]:
    """The decoded base image and text layer, for renderers and inspection."""
    pf = _read(source, want_base=True)
    codec = _check_components(pf.header)
    if pf.base is None:
        raise MissingSectionError("the file has no BASE section")
    layer = coder.decode_layer(pf.text)
    return codec.decode(pf.base, (pf.header.width, pf.header.height), layer), layer


def read_text(source: PicdSource) -> TextLayer:
    """The text layer alone; the base layer is never read."""
    pf = _read(source, want_base=False)
    return coder.decode_layer(pf.text)


def read_thumbnail(source: PicdSource) -> Image.Image | None:
    """The stored thumbnail (no decoding of the base layer), or None."""
    from picd_desktop.imageio import open_thumbnail

    pf = _read(source, want_base=False)
    if pf.thumb is None:
        return None
    try:
        return open_thumbnail(pf.thumb)
    except OSError:
        return None


def info(source: PicdSource) -> PicdInfo:
    """Sizes, components, word counts and metadata of a `.picd` file."""
    pf = _read(source, want_base=False)
    layer = coder.decode_layer(pf.text)
    file_bytes = len(source) if isinstance(source, bytes) else Path(source).stat().st_size
    thumb = len(pf.thumb or b"")
    base_bytes = file_bytes - len(pf.text) - thumb  # includes header and framing
    words = [w for _, w in layer.words()]
    return PicdInfo(
        width=pf.header.width,
        height=pf.header.height,
        file_bytes=file_bytes,
        text_bytes=len(pf.text),
        base_bytes=base_bytes,
        thumb_bytes=thumb,
        created_ms=pf.header.created_ms,
        components={c.role: c.id for c in pf.header.components},
        words=len(words),
        drawn_words=sum(w.drawn for w in words),
        meta=dict(pf.meta),
    )


__all__ = [
    "PicdError",
    "PicdInfo",
    "decode",
    "decode_layers",
    "encode",
    "info",
    "read_text",
    "read_thumbnail",
]

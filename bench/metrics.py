"""Benchmark metrics of PICD: rate (bpp), fidelity (PSNR, MS-SSIM), text legibility (OCR) and
peak memory. Importable; all image inputs are PIL images compared in 8-bit RGB.

Text metrics run plain Tesseract (pytesseract, eng, default psm, image as given, no
preprocessing, OMP_THREAD_LIMIT=1). OCR results are cached per image content, so scoring many
reconstructions against one original OCRs the original once.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import os
import resource
import threading
import time
from collections import Counter, OrderedDict
from types import TracebackType

import numpy as np
import psutil
import pytesseract
from PIL import Image
from rapidfuzz.distance import Levenshtein
from scipy.ndimage import correlate1d

from picd_desktop.format.errors import InputImageError, OcrUnavailableError

os.environ.setdefault("OMP_THREAD_LIMIT", "1")

MS_SSIM_WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)  # Wang, Simoncelli, Bovik 2003
WORD_CONF = 60.0  # an original word counts when Tesseract is at least this confident
MIN_WORD_LEN = 2

Words = list[tuple[str, float]]


def bpp(num_bytes: int, width: int, height: int) -> float:
    """Bits per pixel of a `num_bytes` file for a width x height image."""
    if width <= 0 or height <= 0 or num_bytes < 0:
        raise InputImageError(f"bpp: bad size {width}x{height} or byte count {num_bytes}")
    return 8.0 * num_bytes / (width * height)


def _pair(a: Image.Image, b: Image.Image) -> tuple[np.ndarray, np.ndarray]:
    """Both images as float64 RGB arrays; same size required."""
    if a.size != b.size:
        raise InputImageError(f"image sizes differ: {a.size} vs {b.size}")
    if a.width == 0 or a.height == 0:
        raise InputImageError("empty image")
    return (np.asarray(a.convert("RGB"), np.float64), np.asarray(b.convert("RGB"), np.float64))


def psnr(a: Image.Image, b: Image.Image) -> float:
    """PSNR in dB over the R, G, B channels (peak 255); inf when identical."""
    x, y = _pair(a, b)
    mse = float(np.mean((x - y) ** 2))
    return math.inf if mse == 0 else 10.0 * math.log10(255.0**2 / mse)


def _luma(rgb: np.ndarray) -> np.ndarray:
    """BT.601 luma Y in [0, 255] (as used by the MS-SSIM reference on grey images)."""
    return rgb @ np.array([0.299, 0.587, 0.114])


def _gauss(img: np.ndarray, win: np.ndarray) -> np.ndarray:
    """Separable Gaussian filter, 'valid' region only (as the reference implementation)."""
    r = len(win) // 2
    out = correlate1d(correlate1d(img, win, axis=0, mode="nearest"), win, axis=1, mode="nearest")
    return out[r:-r, r:-r]


def _ssim_cs(x: np.ndarray, y: np.ndarray, win: np.ndarray) -> tuple[float, float]:
    """Mean SSIM and mean contrast-structure term of two luma images."""
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    mx, my = _gauss(x, win), _gauss(y, win)
    sxx = _gauss(x * x, win) - mx * mx
    syy = _gauss(y * y, win) - my * my
    sxy = _gauss(x * y, win) - mx * my
    cs = (2 * sxy + c2) / (sxx + syy + c2)
    ssim = (2 * mx * my + c1) / (mx * mx + my * my + c1) * cs
    return float(ssim.mean()), float(cs.mean())


def ms_ssim(a: Image.Image, b: Image.Image) -> float:
    """Standard MS-SSIM (11x11 Gaussian window, sigma 1.5, K1 0.01, K2 0.03, Wang et al. weights)
    on BT.601 luma. Small images use fewer scales (the smallest scale keeps >= 11 px per side)
    with the weights of the used scales renormalised; images under 11 px per side use a smaller
    window at one scale (< 3 px: InputImageError). Negative cs terms are clipped to 0.
    1.0 when identical."""
    x, y = (_luma(v) for v in _pair(a, b))
    side = min(x.shape)
    if side < 3:
        raise InputImageError(f"image too small for MS-SSIM: {a.size}")
    size = 11 if side >= 11 else (side if side % 2 else side - 1)
    t = np.arange(size) - size // 2
    win = np.exp(-(t**2) / (2 * 1.5**2))
    win /= win.sum()
    levels = max(1, min(5, int(math.floor(math.log2(side / size))) + 1))
    w = np.array(MS_SSIM_WEIGHTS[:levels])
    w /= w.sum()
    vals = []
    for lvl in range(levels):
        s, cs = _ssim_cs(x, y, win)
        vals.append(max(s if lvl == levels - 1 else cs, 0.0))
        if lvl < levels - 1:
            h, wd = (x.shape[0] // 2) * 2, (x.shape[1] // 2) * 2
            x = x[:h, :wd].reshape(h // 2, 2, wd // 2, 2).mean(axis=(1, 3))
            y = y[:h, :wd].reshape(h // 2, 2, wd // 2, 2).mean(axis=(1, 3))
    return float(np.prod(np.array(vals) ** w))


_OCR_CACHE: OrderedDict[str, Words] = OrderedDict()
_OCR_CACHE_SIZE = 64


def ocr_words(img: Image.Image) -> Words:
    """Plain Tesseract words of `img` (eng, default psm, no preprocessing): (text, confidence)."""
    rgb = img.convert("RGB")
    if rgb.width == 0 or rgb.height == 0:
        raise InputImageError("empty image")
    key = hashlib.sha1(rgb.tobytes() + repr(rgb.size).encode()).hexdigest()
    if key in _OCR_CACHE:
        _OCR_CACHE.move_to_end(key)
        return list(_OCR_CACHE[key])
    try:
        data = pytesseract.image_to_data(rgb, lang="eng", output_type=pytesseract.Output.DICT)
    except pytesseract.TesseractNotFoundError as e:
        raise OcrUnavailableError("tesseract is not installed") from e
    words = [
        (t.strip(), float(c))
        for t, c in zip(data["text"], data["conf"], strict=True)
        if t.strip() and float(c) >= 0
    ]
    _OCR_CACHE[key] = words
    if len(_OCR_CACHE) > _OCR_CACHE_SIZE:
        _OCR_CACHE.popitem(last=False)
    return list(words)


def reference_words(words: Words) -> list[str]:
    """The original's words that count: confidence >= WORD_CONF and >= MIN_WORD_LEN chars."""
    return [t for t, c in words if c >= WORD_CONF and len(t) >= MIN_WORD_LEN]


def text_accuracy_words(original: Words, recon: Words) -> float:
    """Multiset recall of the original's reference words among all recon words (exact text)."""
    ref = Counter(reference_words(original))
    total = sum(ref.values())
    if total == 0:
        return math.nan
    found = ref & Counter(t for t, _ in recon)
    return sum(found.values()) / total


def text_accuracy(original: Image.Image, recon: Image.Image) -> float:
    """Fraction of the original's confident words (conf >= 60, >= 2 chars) found again, exactly,
    in the reconstruction's OCR words (any confidence), as a multiset; nan if none."""
    return text_accuracy_words(ocr_words(original), ocr_words(recon))


def _norm(words: Words) -> str:
    return " ".join(" ".join(t for t, _ in words).split())


def char_accuracy_words(original: Words, recon: Words) -> float:
    """1 - CER (Levenshtein) of the recon OCR text vs the original's, clipped at 0; nan if the
    original has no text."""
    ref, hyp = _norm(original), _norm(recon)
    if not ref:
        return math.nan
    return max(0.0, 1.0 - Levenshtein.distance(ref, hyp) / len(ref))


def char_accuracy(original: Image.Image, recon: Image.Image) -> float:
    """1 - character error rate of the recon's OCR text against the original's OCR text (all
    words, whitespace collapsed), clipped at 0; nan if the original has no text."""
    return char_accuracy_words(ocr_words(original), ocr_words(recon))


def peak_rss_mb() -> float:
    """High-water mark of this process's resident memory since it started (MB, ru_maxrss)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def children_peak_rss_mb() -> float:
    """Largest high-water mark of any waited-for child process (MB, ru_maxrss of children)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0


class PeakMemory:
    """Measure the peak resident memory (RSS: Python and C allocations) of a block.

    A thread samples the RSS of this process plus its live children every `interval` s (psutil);
    `peak_mb` is the largest sample, `delta_mb` that minus the RSS at entry (memory the block
    added). Short spikes between samples can be missed; for a lifetime figure of a whole codec
    run it in a subprocess and read `children_peak_rss_mb()`.

        with PeakMemory() as m:
            encode(img)
        print(m.peak_mb, m.delta_mb)
    """

    def __init__(self, interval: float = 0.005):
        self.interval = interval
        self.start_mb = self.peak_mb = 0.0
        self._proc = psutil.Process()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _rss(self) -> float:
        total = self._proc.memory_info().rss
        for ch in self._proc.children(recursive=True):
            with contextlib.suppress(psutil.Error):
                total += ch.memory_info().rss
        return total / 2**20

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_mb = max(self.peak_mb, self._rss())
            time.sleep(self.interval)

    @property
    def delta_mb(self) -> float:
        """Peak RSS during the block minus the RSS at entry (MB)."""
        return max(0.0, self.peak_mb - self.start_mb)

    @property
    def mb(self) -> float:
        """Alias of `delta_mb` (the memory the block added at its peak)."""
        return self.delta_mb

    def __enter__(self) -> PeakMemory:
        self.start_mb = self.peak_mb = self._rss()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.peak_mb = max(self.peak_mb, self._rss())


def peak_memory(interval: float = 0.005) -> PeakMemory:
    """Context manager measuring a block's peak RSS; see PeakMemory (`.mb` = growth in MB)."""
    return PeakMemory(interval)

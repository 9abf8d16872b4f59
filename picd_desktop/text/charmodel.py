"""Adaptive byte-level context model (orders 0..4, PPM-style blending) with a static prior.

Words are coded as their UTF-8 bytes followed by the end-of-word symbol 0 (NUL never occurs in
text); the context history sees a space or newline in its place. Every probability is an
integer: a byte's frequencies sum to exactly 2**24, so the float64 view handed to the entropy
coder is exact and encoder and decoder agree bit for bit on any machine.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from picd_desktop.format.errors import UnknownModelError
from picd_desktop.resources import resource_path

MAX_ORDER = 4
EOW = 0  # end-of-word symbol
PRIOR_FILE = "text-prior-v1.npz"
PRIOR_DIR = ("models", "text-prior-v1")
# sha256 of the shipped prior file (also in its card.json); the loader refuses any other file.
PRIOR_SHA256 = "99447eccd6998f8280f7db2f55893a1a826dbf1b291255a50cdb2b59b87733bf"

TOTAL = 1 << 24  # frequencies of one distribution sum to this
_MASS = TOTAL - 256  # what the orders share; every byte also gets >= 1
_INC = 12  # adaptive count added per occurrence (prior rows total <= 255)
_ESC_MUL = 1  # escape weight of a context = _ESC_MUL * distinct symbols + _ESC_ADD
_ESC_ADD = 1
_LIMIT = 1 << 15  # halve a context's counts above this total
_HIST_MASK = (1 << (8 * MAX_ORDER)) - 1


def text_to_streams(text: str) -> tuple[np.ndarray, np.ndarray]:
    """Training view of plain text: coded symbols and the history the model sees."""
    syms: list[bytes] = []
    hist: list[bytes] = []
    for line in text.replace("\0", "").splitlines():
        words = line.split()
        for i, word in enumerate(words):
            raw = word.encode("utf-8")
            syms.append(raw + b"\0")
            hist.append(raw + (b" " if i + 1 < len(words) else b"\n"))
    return (np.frombuffer(b"".join(syms), np.uint8).copy(),
            np.frombuffer(b"".join(hist), np.uint8).copy())


@dataclass(frozen=True)
class Prior:
    """Pruned, quantized context counts: order 0 dense, orders 1..MAX_ORDER sparse."""

    order0: np.ndarray  # (256,) int64
    index: tuple[dict[int, int], ...]  # per order: context key -> row
    offsets: tuple[list[int], ...]
    syms: tuple[np.ndarray, ...]  # intp
    counts: tuple[np.ndarray, ...]  # int64


def default_prior_path() -> Path:
    return resource_path(*PRIOR_DIR, PRIOR_FILE)


def load_prior(path: Path | None = None, sha256: str = PRIOR_SHA256) -> Prior:
    """Load and verify a prior file; a missing file or a hash mismatch -> UnknownModelError."""
    path = path or default_prior_path()
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise UnknownModelError(f"text prior {path} is missing: {exc}") from exc
    digest = hashlib.sha256(data).hexdigest()
    if digest != sha256:
        raise UnknownModelError(f"text prior {path} has sha256 {digest}, expected {sha256}")
    with np.load(path) as z:
        order0 = z["o0"].astype(np.int64)
        index, offsets, syms, counts = [{}], [[0]], [np.zeros(0, np.intp)], [order0]
        for k in range(1, MAX_ORDER + 1):
            keys = z[f"k{k}_keys"].astype(np.int64).tolist()
            index.append(dict(zip(keys, range(len(keys)), strict=True)))
            offsets.append(z[f"k{k}_off"].astype(np.int64).tolist())
            syms.append(z[f"k{k}_sym"].astype(np.intp))
            counts.append(z[f"k{k}_cnt"].astype(np.int64))
    return Prior(order0, tuple(index), tuple(offsets), tuple(syms), tuple(counts))


@cache
def shipped_prior() -> Prior:
    """The verified shipped prior, loaded once per process."""
    return load_prior()


class TextModel:
    """Adaptive blend of orders MAX_ORDER..0 over bytes, seeded from a `Prior`."""

    def __init__(self, prior: Prior) -> None:
        self._prior = prior
        self._pool = np.zeros((256, 256), np.int64)
        self._n: list[int] = []
        self._d: list[int] = []
        self._rows: dict[int, int] = {}
        self._hist = 0x0A0A0A0A & _HIST_MASK
        self._order0 = self._new_row(0, 0)
        self._cur = self._context_rows()

    def _new_row(self, order: int, ctx: int) -> int:
        row = len(self._n)
        if row == len(self._pool):
            grown = np.zeros((2 * row, 256), np.int64)
            grown[:row] = self._pool
            self._pool = grown
        n = d = 0
        p = self._prior
        if order == 0:
            self._pool[row] = p.order0
            n, d = int(p.order0.sum()), 256
        elif (i := p.index[order].get(ctx)) is not None:
            a, b = p.offsets[order][i], p.offsets[order][i + 1]
            cnt = p.counts[order][a:b]
            self._pool[row, p.syms[order][a:b]] = cnt
            n, d = int(cnt.sum()), b - a
        self._n.append(n)
        self._d.append(d)
        return row

    def _context_rows(self) -> list[int]:
        rows = []
        for k in range(MAX_ORDER, 0, -1):
            ctx = self._hist & ((1 << (8 * k)) - 1)
            key = ctx | (k << 40)
            row = self._rows.get(key)
            if row is None:
                row = self._rows[key] = self._new_row(k, ctx)
            rows.append(row)
        rows.append(self._order0)
        return rows

    def freqs(self) -> np.ndarray:
        """Integer frequencies (int64, 256 entries, each >= 1) summing to exactly TOTAL."""
        rem = _MASS
        weights = []
        ns, ds = self._n, self._d
        for row in self._cur:
            n = ns[row]
            if n:
                w = rem // (n + _ESC_MUL * ds[row] + _ESC_ADD)
                rem -= w * n
            else:
                w = 0
            weights.append(w)
        freq = np.dot(weights, self._pool[self._cur])
        freq += 1 + rem // 256
        freq[: rem % 256] += 1
        return freq

    def probs(self) -> np.ndarray:
        """`freqs()` as float64 (exact: every value is an integer below 2**24)."""
        return self.freqs().astype(np.float64)

    def update(self, sym: int, hist_byte: int) -> None:
        """Count `sym` in the current contexts, then push `hist_byte` into the history."""
        pool, ns, ds = self._pool, self._n, self._d
        for row in self._cur:
            if pool[row, sym] == 0:
                ds[row] += 1
            pool[row, sym] += _INC
            ns[row] += _INC
            if ns[row] > _LIMIT:
                pool[row] = (pool[row] + 1) // 2
                ns[row] = int(pool[row].sum())
        self._hist = ((self._hist << 8) | hist_byte) & _HIST_MASK
        self._cur = self._context_rows()

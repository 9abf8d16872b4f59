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
PRIOR_SHA256 = "db2e4b387730ce71456663d0ab5e9b9c1b2ebe356fa6da1b8d12fc90aaf07f93"

TOTAL = 1 << 24  # frequencies of one distribution sum to this
_MASS = TOTAL - 256  # what the orders share; every byte also gets >= 1
_INC = 32  # adaptive count added per occurrence (prior rows total <= 255)
_ESC_MUL = 12  # escape weight of a context = _ESC_MUL * distinct symbols + _ESC_ADD
_ESC_ADD = 1
_HIST_MASK = (1 << (8 * MAX_ORDER)) - 1
_ORDER_KEYS = [(k, (1 << (8 * k)) - 1, k << 40) for k in range(MAX_ORDER, 0, -1)]


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
    totals: tuple[list[int], ...]  # per order and row: sum of its counts
    keys: tuple[np.ndarray, ...]  # per order: sorted context keys (int64)
    offs: tuple[np.ndarray, ...]  # per order: row offsets (int64)


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
        totals: list[list[int]] = [[int(order0.sum())]]
        karr, oarr = [np.zeros(0, np.int64)], [np.zeros(1, np.int64)]
        for k in range(1, MAX_ORDER + 1):
            karr.append(z[f"k{k}_keys"].astype(np.int64))
            oarr.append(z[f"k{k}_off"].astype(np.int64))
            keys = karr[-1].tolist()
            index.append(dict(zip(keys, range(len(keys)), strict=True)))
            offsets.append(z[f"k{k}_off"].astype(np.int64).tolist())
            syms.append(z[f"k{k}_sym"].astype(np.intp))
            counts.append(z[f"k{k}_cnt"].astype(np.int64))
            starts = np.asarray(offsets[-1][:-1], np.int64)
            totals.append(np.add.reduceat(counts[-1], starts).tolist() if len(starts) else [])
    return Prior(order0, tuple(index), tuple(offsets), tuple(syms), tuple(counts),
                 tuple(totals), tuple(karr), tuple(oarr))


@cache
def shipped_prior() -> Prior:
    """The verified shipped prior, loaded once per process."""
    return load_prior()


class TextModel:
    """Adaptive blend of orders MAX_ORDER..0 over bytes, seeded from a `Prior`."""

    def __init__(self, prior: Prior, capacity: int = 256) -> None:
        """`capacity`: expected number of contexts (rows are added as needed)."""
        self._prior = prior
        self._pool = np.zeros((max(8, min(capacity, 1 << 16)), 256), np.int64)
        self._pool[0] = 1  # row 0: the uniform floor, never counted
        self._n: list[int] = [0]
        self._d: list[int] = [0]
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
            n, d = p.totals[0][0], 256
        elif (i := p.index[order].get(ctx)) is not None:
            a, b = p.offsets[order][i], p.offsets[order][i + 1]
            self._pool[row, p.syms[order][a:b]] = p.counts[order][a:b]
            n, d = p.totals[order][i], b - a
        self._n.append(n)
        self._d.append(d)
        return row

    def _context_rows(self) -> list[int]:
        rows = []
        get = self._rows.get
        for k, mask, tag in _ORDER_KEYS:
            ctx = self._hist & mask
            row = get(ctx | tag)
            if row is None:
                row = self._rows[ctx | tag] = self._new_row(k, ctx)
            rows.append(row)
        rows.append(self._order0)
        return rows

    def freqs(self) -> np.ndarray:
        """Integer frequencies (int64, 256 entries, each >= 1) summing to exactly TOTAL."""
        rem = _MASS
        weights = []
        ns, ds = self._n, self._d
        cur = self._cur
        for row in cur:
            n = ns[row]
            if n:
                w = rem // (n + _ESC_MUL * ds[row] + _ESC_ADD)
                rem -= w * n
            else:
                w = 0
            weights.append(w)
        weights.append(1 + rem // 256)
        freq = np.dot(weights, self._pool.take(cur + [0], axis=0))
        freq[EOW] += rem % 256
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
        self._hist = ((self._hist << 8) | hist_byte) & _HIST_MASK
        self._cur = self._context_rows()


BATCH_MAX = 1 << 14  # longest stream `batch_freqs` handles (memory: 2 KB per symbol and order)


def _context_keys(hist: np.ndarray, order: int) -> np.ndarray:
    """Order-`order` context key before each position (history padded with newlines)."""
    n = len(hist)
    key = np.zeros(n, np.int64)
    for j in range(1, order + 1):
        prev = np.full(n, 0x0A, np.int64)
        prev[j:] = hist[: n - j] if n > j else prev[j:]
        key |= prev << (8 * (j - 1))
    return key


def _order_counts(prior: Prior, order: int, sym: np.ndarray, hist: np.ndarray,
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Counts (N, 256), totals and distinct counts each context holds before each position."""
    n = len(sym)
    keys = _context_keys(hist, order) if order else np.zeros(n, np.int64)
    uniq, inv = np.unique(keys, return_inverse=True)
    base = np.zeros((len(uniq), 256), np.int64)
    if order == 0:
        base[0] = prior.order0
    else:
        pk, off = prior.keys[order], prior.offs[order]
        pos = np.minimum(np.searchsorted(pk, uniq), max(len(pk) - 1, 0))
        hit = np.flatnonzero(pk[pos] == uniq) if len(pk) else np.zeros(0, np.int64)
        i = pos[hit]
        lengths = off[i + 1] - off[i]
        total = int(lengths.sum())
        if total:
            first = np.repeat(off[i] - (np.cumsum(lengths) - lengths), lengths)
            entry = first + np.arange(total)
            base[np.repeat(hit, lengths), prior.syms[order][entry]] = prior.counts[order][entry]
    perm = np.argsort(inv, kind="stable")
    grp = inv[perm]
    ssym = sym[perm].astype(np.int64)
    rows = np.arange(n)
    run = np.zeros((n, 256), np.int32)
    run[rows, ssym] = _INC
    np.cumsum(run, axis=0, out=run)  # inclusive, in context-sorted order
    starts = np.searchsorted(grp, np.arange(len(uniq)))
    # exclusive count inside each context = inclusive - own symbol - everything before the group
    before = np.zeros((len(uniq), 256), np.int32)
    before[1:] = run[starts[1:] - 1]
    run[rows, ssym] -= _INC
    base32 = base.astype(np.int32)
    base32 -= before  # per context: prior - cumulative offset
    run += base32[grp]
    counts = np.empty_like(run)
    counts[perm] = run
    # totals and distinct counts from 1-D group arithmetic (sorted order), then unsorted
    rank = rows - starts[grp]
    tot_s = base.sum(axis=1)[grp] + _INC * rank
    pair = grp * 256 + ssym
    first = np.ones(n, bool)
    order_pairs = np.lexsort((rows, pair))  # earliest occurrence of each (context, symbol)
    sp = pair[order_pairs]
    first[order_pairs[1:]] = sp[1:] != sp[:-1]
    new = (first & (base[grp, ssym] == 0)).astype(np.int64)
    cum = np.cumsum(new) - new  # exclusive
    dist_s = np.count_nonzero(base, axis=1)[grp] + cum - cum[starts[grp]]
    tot = np.empty(n, np.int64)
    dist = np.empty(n, np.int64)
    tot[perm] = tot_s
    dist[perm] = dist_s
    return counts, tot, dist


def batch_freqs(prior: Prior, sym: np.ndarray, hist: np.ndarray) -> np.ndarray:
    """`TextModel.freqs()` before every symbol of a whole stream at once, (N, 256) int64.

    Identical to running TextModel over (sym, hist) symbol by symbol; len(sym) <= BATCH_MAX.
    """
    n = len(sym)
    rem = np.full(n, _MASS, np.int64)
    freq = np.zeros((n, 256), np.int64)
    for order in range(MAX_ORDER, -1, -1):
        counts, tot, distinct = _order_counts(prior, order, sym, hist)
        w = np.where(tot > 0, rem // (tot + _ESC_MUL * distinct + _ESC_ADD), 0)
        rem -= w * tot
        freq += w[:, None] * counts
    freq += (1 + rem // 256)[:, None]
    freq[:, EOW] += rem % 256
    return freq

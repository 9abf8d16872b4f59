"""Build the static text prior of the `ctx-v1` text-layer coder from local Debian text.

Sources: English man pages (/usr/share/man/man[1-8], roff stripped in Python), plain-text
docs from /usr/share/doc, and Python sources of the venv (code on screen). Never
python3-doc, debian-reference-* nor diffutils-doc (reserved for evaluation).

    .venv/bin/python -m picd_desktop.train.text_prior --out resources/models/text-prior-v1
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np

from picd_desktop.text.charmodel import MAX_ORDER, PRIOR_FILE, text_to_streams

FORBIDDEN = ("python3-doc", "debian-reference", "diffutils-doc")
MAN_SECTIONS = ("man1", "man2", "man3", "man4", "man5", "man7", "man8")

_ROFF_ESC = [
    (re.compile(r"\\f(\[[^\]]*\]|\(..|.)"), ""),
    (re.compile(r"\\s[+-]?\d+"), ""),
    (re.compile(r"\\\((em|en)"), "-"),
    (re.compile(r"\\\((lq|rq|dq)"), '"'),
    (re.compile(r"\\\((oq|cq|aq)"), "'"),
    (re.compile(r"\\\(bu"), "*"),
    (re.compile(r"\\\(co"), "(c)"),
    (re.compile(r"\\\(..|\\\[[^\]]*\]"), ""),
    (re.compile(r"\\[-]"), "-"),
    (re.compile(r"\\e"), "\\\\"),
    (re.compile(r"\\[&|^%:/,)]"), ""),
    (re.compile(r"\\\*(\(..|\[[^\]]*\]|.)"), ""),
    (re.compile(r"\\[nwkhvzoN]('[^']*'|\[[^\]]*\]|\(..|.)?"), ""),
    (re.compile(r"\\ "), " "),
    (re.compile(r'\\".*'), ""),
]
_KEEP_ARGS = {"SH", "SS", "B", "I", "BI", "BR", "IB", "IR", "RB", "RI", "TP", "IP", "Nm", "Nd",
              "Sh", "Ss", "Fl", "Ar", "Pa", "Xr", "Cm", "Dq", "Em", "Sy", "It", "Op", "Li"}


def strip_roff(src: str) -> str:
    """Roughly convert roff source to plain text (good enough for character statistics)."""
    out: list[str] = []
    for raw in src.splitlines():
        line = raw
        if line.startswith((".", "'")):
            parts = line[1:].strip().split(None, 1)
            if not parts or parts[0] not in _KEEP_ARGS or len(parts) < 2:
                continue
            line = parts[1].replace('"', "")
        for pat, rep in _ROFF_ESC:
            line = pat.sub(rep, line)
        line = line.strip()
        if line:
            out.append(line)
    return "\n".join(out)


def _read_maybe_gz(path: Path) -> str:
    data = path.read_bytes()
    if path.suffix == ".gz":
        data = gzip.decompress(data)
    return data.decode("utf-8", errors="ignore")


def _spread(files: list[Path], budget: int, reader) -> tuple[list[str], list[Path]]:
    """Read files in a fixed pseudo-random order (sha256 of the path) until `budget` chars."""
    files = sorted(files, key=lambda p: hashlib.sha256(str(p).encode()).digest())
    texts: list[str] = []
    used: list[Path] = []
    total = 0
    for path in files:
        if total >= budget:
            break
        if any(f in str(path) for f in FORBIDDEN):
            continue
        try:
            text = reader(path)
        except (OSError, EOFError, ValueError):
            continue
        text = text[:100_000]
        texts.append(text)
        used.append(path)
        total += len(text)
    return texts, used


def all_man_pages() -> list[Path]:
    """English man pages, without the ~15k near-identical google-cloud-cli pages."""
    return sorted(p for s in MAN_SECTIONS for p in Path("/usr/share/man", s).glob("*")
                  if not p.name.startswith("gcloud"))


def is_held_out(path: Path) -> bool:
    """Every page whose name hashes to 0 mod 10 is kept out of training (for evaluation)."""
    return hashlib.sha256(path.name.encode()).digest()[0] % 10 == 0


def mo_msgids(path: Path) -> str:
    """English UI strings (msgids) of a gettext .mo catalogue, one per line."""
    data = path.read_bytes()
    magic = int.from_bytes(data[:4], "little")
    order = "little" if magic == 0x950412DE else "big"
    n = int.from_bytes(data[8:12], order)
    table = int.from_bytes(data[12:16], order)
    out = []
    for i in range(n):
        length = int.from_bytes(data[table + 8 * i: table + 8 * i + 4], order)
        start = int.from_bytes(data[table + 8 * i + 4: table + 8 * i + 8], order)
        for msg in data[start:start + length].split(b"\0"):
            text = msg.decode("utf-8", "ignore").split("\x04")[-1].strip()
            if text:
                out.append(text.replace("_", "", 1) if "_" in text[:2] else text)
    return "\n".join(out)


def gather_corpus(man_chars: int, doc_chars: int, code_chars: int,
                  ui_chars: int = 2_000_000) -> tuple[str, dict]:
    """The training text and a description of where it came from."""
    man_files = [p for p in all_man_pages() if not is_held_out(p)]
    man, man_used = _spread(man_files, man_chars, lambda p: strip_roff(_read_maybe_gz(p)))
    doc_files = [p for p in Path("/usr/share/doc").rglob("*")
                 if p.is_file() and re.search(r"(README|NEWS|\.txt|\.md)(\.gz)?$", p.name)]
    docs, doc_used = _spread(doc_files, doc_chars, _read_maybe_gz)
    venv = Path(sys.prefix) / "lib"
    code_files = [p for p in venv.rglob("*.py") if "test" not in str(p)]
    code, code_used = _spread(code_files, code_chars, lambda p: p.read_text("utf-8", "ignore"))
    mo_files = list(Path("/usr/share/locale/de/LC_MESSAGES").glob("*.mo"))
    ui, ui_used = _spread(mo_files, ui_chars, mo_msgids)
    info = {"man_pages": len(man_used), "doc_files": len(doc_used), "python_files": len(code_used),
            "ui_catalogues": len(ui_used),
            "chars": {"man": sum(map(len, man)), "doc": sum(map(len, docs)),
                      "code": sum(map(len, code)), "ui": sum(map(len, ui))}}
    return "\n".join(man + docs + code + ui), {"info": info,
                                               "files": man_used + doc_used + ui_used}


def packages_of(files: list[Path]) -> dict[str, str]:
    """Debian package name -> version for the files used (from dpkg's file lists)."""
    owner: dict[str, str] = {}
    wanted = {str(f) for f in files}
    for lst in Path("/var/lib/dpkg/info").glob("*.list"):
        pkg = lst.stem.split(":")[0]
        for line in lst.read_text(errors="ignore").splitlines():
            if line in wanted:
                owner[line] = pkg
    names = sorted(set(owner.values()))
    out = subprocess.run(["dpkg-query", "-W", "-f", "${Package} ${Version}\n", *names],
                         capture_output=True, text=True, check=False).stdout
    return dict(line.split(" ", 1) for line in out.splitlines() if " " in line)


def count_contexts(sym: np.ndarray, hist: np.ndarray, order: int, min_total: int,
                   keep_frac: int, cap: int) -> dict[str, np.ndarray]:
    """Pruned, quantized counts of `sym` after each order-`order` context of `hist`."""
    n = len(sym)
    key = np.zeros(n, np.int64)
    for j in range(1, order + 1):
        prev = np.empty(n, np.int64)
        prev[:j] = 0x0A
        prev[j:] = hist[:-j]
        key |= prev << (8 * (j - 1))
    pair, cnt = np.unique((key << 8) | sym.astype(np.int64), return_counts=True)
    ctx, sy = pair >> 8, (pair & 0xFF).astype(np.uint8)
    uctx, inv = np.unique(ctx, return_inverse=True)
    totals = np.bincount(inv, weights=cnt).astype(np.int64)
    tot = totals[inv]
    keep = (tot >= min_total) & (cnt * keep_frac >= tot) & (cnt >= 2)
    scale = np.maximum(tot, cap)
    q = np.clip((cnt * cap + scale // 2) // scale, 1, 255).astype(np.uint8)
    ctx, sy, q = ctx[keep], sy[keep], q[keep]
    keys, starts = np.unique(ctx, return_index=True)
    off = np.append(starts, len(ctx)).astype(np.uint32)
    return {f"k{order}_keys": keys.astype(np.uint32), f"k{order}_off": off,
            f"k{order}_sym": sy, f"k{order}_cnt": q}


def build_prior(text: str, out_dir: Path) -> Path:
    """Count orders 0..MAX_ORDER, prune, quantize and save the .npz prior."""
    sym, hist = text_to_streams(text)
    arrays: dict[str, np.ndarray] = {}
    c0 = np.bincount(sym, minlength=256).astype(np.int64)
    arrays["o0"] = np.maximum(1, c0 * 4096 // max(1, int(c0.sum()))).astype(np.uint16)
    settings = {1: (4, 2000, 255), 2: (4, 1000, 255), 3: (5, 600, 255), 4: (6, 300, 255)}
    for order in range(1, MAX_ORDER + 1):
        min_total, keep_frac, cap = settings[order]
        arrays.update(count_contexts(sym, hist, order, min_total, keep_frac, cap))
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / PRIOR_FILE
    with path.open("wb") as fh:
        np.savez_compressed(fh, **arrays)
    return path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("resources/models/text-prior-v1"))
    ap.add_argument("--man-chars", type=int, default=12_000_000)
    ap.add_argument("--doc-chars", type=int, default=3_000_000)
    ap.add_argument("--code-chars", type=int, default=3_000_000)
    args = ap.parse_args(argv)
    text, src = gather_corpus(args.man_chars, args.doc_chars, args.code_chars)
    path = build_prior(text, args.out)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    with np.load(path) as z:
        contexts = {k: int(len(z[k])) for k in z.files if k.endswith("_keys")}
        entries = {k: int(len(z[k])) for k in z.files if k.endswith("_sym")}
    pkgs = packages_of(src["files"])
    card = {
        "id": "text-prior-v1", "coder": "ctx-v1", "file": PRIOR_FILE, "sha256": digest,
        "bytes": path.stat().st_size, "max_order": MAX_ORDER,
        "contexts": contexts, "entries": entries, "corpus": src["info"],
        "corpus_chars": len(text),
        "held_out": "man pages with sha256(name)[0] % 10 == 0 are not used (evaluation)",
        "sources": "Debian man pages (/usr/share/man/man{1,2,3,4,5,7,8}, roff stripped), "
                   "README/NEWS/*.txt/*.md from /usr/share/doc, Python sources in the venv, "
                   "English UI strings (msgids) of /usr/share/locale/de/LC_MESSAGES/*.mo. "
                   "Excluded: python3-doc, debian-reference-*, diffutils-doc.",
        "licences": "Each source file keeps its package's licence (see /usr/share/doc/<pkg>/"
                    "copyright; mostly GPL/LGPL/BSD/MIT); the prior holds only pruned, "
                    "quantized n-gram counts, no text.",
        "packages": pkgs,
        "command": "python -m picd_desktop.train.text_prior " + " ".join(argv or sys.argv[1:]),
    }
    (args.out / "card.json").write_text(json.dumps(card, indent=1, sort_keys=True) + "\n")
    print(json.dumps({k: card[k] for k in ("sha256", "bytes", "contexts", "entries",
                                           "corpus_chars")}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

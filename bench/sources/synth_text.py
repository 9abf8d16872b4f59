"""Real text for the synthetic screenshots, read from installed Debian packages."""

from __future__ import annotations

import os
import random
import re
import subprocess
from pathlib import Path
from typing import Any

from .common import debian_source

PROSE = [
    "/usr/share/doc/git-doc/gittutorial.txt",
    "/usr/share/doc/git-doc/MyFirstContribution.txt",
    "/usr/share/doc/git-doc/SubmittingPatches.txt",
    "/usr/share/doc/git-doc/user-manual.txt",
]
CODE = {
    "python": "/usr/lib/python3.11/textwrap.py",
    "python2": "/usr/lib/python3.11/fractions.py",
    "bash": "/usr/share/doc/bash-doc/examples/functions/autoload.v4",
}
LICENCE = {
    "git-doc": "GPL-2",
    "bash-doc": "GPL-3+",
    "libpython3.11-stdlib": "PSF-2.0",
    "libpython3.11-minimal": "PSF-2.0",
    "tar": "GPL-3+",
    "grep": "GPL-3+",
    "sqlite3": "public-domain",
    "coreutils": "GPL-3+",
    "git-man": "GPL-2",
}
_LINK = re.compile(r"link(?:git)?:([\w./-]+?)\[([^\]]*)\]")
_MARKUP = re.compile(r"[`*_+]|\[\[.*?\]\]|<<.*?>>|\{[a-z-]+\}")


def source_of(path: str) -> dict[str, Any]:
    """Provenance of a text source file."""
    src = debian_source(path, "")
    src["licence"] = LICENCE.get(src["debian_package"], "see /usr/share/doc/<pkg>/copyright")
    return src


def _link_text(m: re.Match[str]) -> str:
    text = m.group(2)
    return m.group(1) if not text or text.isdigit() else text


def sentences(path: str) -> list[str]:
    """Plain prose sentences (20..150 chars) of an AsciiDoc text, markup stripped."""
    paras, cur = [], []
    for line in Path(path).read_text(errors="replace").splitlines():
        s = line.strip()
        ok = len(s) > 30 and s[0].isalpha() and not s.endswith("::") and "$ " not in s
        if ok and not line.startswith((" ", "\t")):
            cur.append(_MARKUP.sub("", _LINK.sub(_link_text, s)))
        elif cur:
            paras.append(" ".join(cur))
            cur = []
    out = []
    for p in paras:
        for sent in re.split(r"(?<=[.!?])\s+", p):
            sent = " ".join(sent.split())
            if 20 <= len(sent) <= 150 and sent.isascii():
                out.append(sent)
    return out


def pick_sentences(rng: random.Random, n: int, path: str) -> list[str]:
    """`n` consecutive sentences from a seeded start."""
    s = sentences(path)
    i = rng.randrange(0, max(1, len(s) - n))
    return s[i : i + n]


def man_page(name: str, width: int) -> tuple[list[str], str]:
    """Lines of `man <name>` formatted `width` columns wide (ASCII), and the man file path."""
    env = {**os.environ, "LC_ALL": "C", "MANWIDTH": str(width), "MAN_KEEP_FORMATTING": "0"}
    txt = subprocess.run(
        ["man", "-P", "cat", name], capture_output=True, text=True, env=env, check=True, timeout=60
    ).stdout
    txt = re.sub(r".\x08", "", txt)
    path = subprocess.run(
        ["man", "-w", name], capture_output=True, text=True, env=env, check=True
    ).stdout.strip()
    return txt.splitlines(), path


def code_lines(key: str) -> list[str]:
    """Source lines of one CODE file, tabs expanded."""
    return Path(CODE[key]).read_text().expandtabs(4).splitlines()

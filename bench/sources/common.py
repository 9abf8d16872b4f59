"""Shared helpers of the set builders: records, Debian package provenance, saving."""

from __future__ import annotations

import functools
import json
import os
import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image


@dataclass
class Entry:
    """One image of the set, as listed in the manifest."""

    file: str
    kind: str
    theme: str
    scale: str
    width: int = 0
    height: int = 0
    source: dict[str, Any] = field(default_factory=dict)
    split: str = "test"
    truth: str | None = None

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["size"] = [d.pop("width"), d.pop("height")]
        if d["truth"] is None:
            del d["truth"]
        return d


@functools.cache
def package_of(path: str) -> tuple[str, str]:
    """(package, version) of the Debian package that ships `path` (or its resolved path)."""
    res = subprocess.run(["dpkg", "-S", path], capture_output=True, text=True)
    if res.returncode != 0:
        res = subprocess.run(
            ["dpkg", "-S", os.path.realpath(path)], capture_output=True, text=True, check=True
        )
    out = res.stdout
    pkg = out.split(":", 1)[0].strip()
    return pkg, package_version(pkg)


@functools.cache
def package_version(pkg: str) -> str:
    """Installed version of a Debian package."""
    return subprocess.run(
        ["dpkg-query", "-W", "-f=${Version}", pkg], capture_output=True, text=True, check=True
    ).stdout.strip()


def debian_source(path: str, licence: str, **extra: Any) -> dict[str, Any]:
    """Provenance record of a file shipped by a Debian package."""
    pkg, ver = package_of(path)
    return {"debian_package": pkg, "version": ver, "path": path, "licence": licence, **extra}


def save_rgb(img: Image.Image, out: Path) -> tuple[int, int]:
    """Save as an RGB PNG (no metadata so rebuilds are byte-identical); return the size."""
    out.parent.mkdir(parents=True, exist_ok=True)
    img.convert("RGB").save(out, format="PNG", compress_level=6)
    return img.size


def write_truth(out: Path, width: int, height: int, words: list[dict[str, Any]]) -> None:
    """Write `<name>.truth.json`: every drawn word with its box [x0, y0, x1, y1] in pixels."""
    out.write_text(json.dumps({"size": [width, height], "words": words}, indent=0))

"""Locate the shipped `resources/` folder (fonts, models, samples) in a checkout or a bundle."""

from __future__ import annotations

import os
import sys
from functools import cache
from pathlib import Path


@cache
def resources_dir() -> Path:
    """The resources folder: $PICD_RESOURCES, the PyInstaller bundle, or the source checkout."""
    candidates = []
    if env := os.environ.get("PICD_RESOURCES"):
        candidates.append(Path(env))
    if bundle := getattr(sys, "_MEIPASS", None):
        candidates.append(Path(bundle) / "resources")
    candidates.append(Path(__file__).resolve().parent.parent / "resources")
    for path in candidates:
        if path.is_dir():
            return path
    raise FileNotFoundError(f"PICD resources folder not found (looked in {candidates})")


def resource_path(*parts: str) -> Path:
    """Path of a file inside the resources folder."""
    return resources_dir().joinpath(*parts)


def model_dir(name: str) -> Path:
    """resources/models/<name>."""
    return resource_path("models", name)

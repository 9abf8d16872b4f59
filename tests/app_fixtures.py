"""Fixtures shared by the app-service and GUI tests: isolated XDG folders, one real .picd."""

from __future__ import annotations

from pathlib import Path

import pytest
from screens import render_screenshot

from picd_desktop import api


@pytest.fixture(autouse=True)
def xdg_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Config, data and cache folders (and the trash) under tmp_path."""
    for name in ("CONFIG", "DATA", "CACHE"):
        folder = tmp_path / f"xdg-{name.lower()}"
        folder.mkdir()
        monkeypatch.setenv(f"XDG_{name}_HOME", str(folder))
    return tmp_path


@pytest.fixture(scope="session")
def picd_bytes() -> bytes:
    """A real .picd of the test screenshot (encoded once: OCR takes seconds)."""
    return api.encode(render_screenshot(), quality=3, meta={"png_bytes": 20_000})

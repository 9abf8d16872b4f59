"""Shared fixtures."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PIL import Image
from screens import render_screenshot

os.environ.setdefault("OMP_THREAD_LIMIT", "1")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True, scope="session")
def torch_threads_within_the_omp_limit() -> None:
    """OMP_THREAD_LIMIT is set above for Tesseract; torch must not ask for more threads."""
    from picd_desktop.models.threads import respect_omp_thread_limit  # noqa: PLC0415

    respect_omp_thread_limit()


@pytest.fixture
def screenshot() -> Image.Image:
    return render_screenshot()


@pytest.fixture
def screenshot_png(tmp_path: Path, screenshot: Image.Image) -> Path:
    path = tmp_path / "shot.png"
    screenshot.save(path)
    return path

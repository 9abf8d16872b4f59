"""Capture without a display fails with a typed error; regions are clipped (Xvfb: tests/gui)."""

from __future__ import annotations

import pytest
from PIL import Image

from picd_desktop.app import capture


def test_no_display_is_a_typed_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    with pytest.raises(capture.NoDisplayError, match="DISPLAY"):
        capture.grab_full()
    with pytest.raises(capture.CaptureError):
        capture.monitors()


def test_crop_region_clips_and_normalises() -> None:
    image = Image.new("RGB", (100, 50), "white")
    assert capture.crop_region(image, (80, 40, 10, 5)).size == (70, 35)
    assert capture.crop_region(image, (-10, -10, 500, 500)).size == (100, 50)
    with pytest.raises(capture.CaptureError, match="empty"):
        capture.crop_region(image, (10, 10, 10, 40))

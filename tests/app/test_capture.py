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


def _desktop(width: int, height: int, origin: tuple[int, int] = (0, 0)) -> capture.Desktop:
    return capture.Desktop(Image.new("RGB", (width, height)), origin)


def test_two_screens_map_to_their_part_of_the_grab() -> None:
    """Side by side, the right one at 2x (Qt keeps the native origin, scales the size)."""
    desktop = _desktop(1920 + 2560, 1440)
    left = capture.ScreenArea(0, 0, 1920, 1080, 1.0, "DP-1")
    right = capture.ScreenArea(1920, 0, 1280, 720, 2.0, "DP-2")
    assert capture.screen_box(left, desktop) == (0, 0, 1920, 1080)
    assert capture.screen_box(right, desktop) == (1920, 0, 4480, 1440)
    assert capture.selection_box(left, desktop, (10, 20, 110, 70)) == (10, 20, 110, 70)
    assert capture.selection_box(right, desktop, (10, 20, 110, 70)) == (1940, 40, 2140, 140)


def test_negative_origin_and_fractional_ratio() -> None:
    """Windows-style: a monitor left of the primary makes the desktop start at x < 0."""
    desktop = _desktop(1280 + 1920, 1080, origin=(-1280, 0))
    left = capture.ScreenArea(-1280, 0, 1024, 819, 1.25)  # 1280x1024 native at 125 %
    primary = capture.ScreenArea(0, 0, 1920, 1080)
    assert capture.screen_box(left, desktop) == (0, 0, 1280, 1024)
    assert capture.screen_box(primary, desktop) == (1280, 0, 3200, 1080)
    assert capture.selection_box(left, desktop, (4, 8, 104, 48)) == (5, 10, 130, 60)
    assert capture.selection_box(primary, desktop, (0, 0, 5, 5)) == (1280, 0, 1285, 5)
    beyond = capture.selection_box(primary, desktop, (1900, 1000, 2000, 1100))
    assert capture.crop_region(desktop.image, beyond).size == (20, 80)  # clipped to the grab

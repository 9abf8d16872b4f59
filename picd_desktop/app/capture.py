"""Screen capture with mss: the whole desktop, one monitor, or a region of a full grab."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

from PIL import Image

from picd_desktop.format.errors import PicdError


class CaptureError(PicdError):
    """The screen cannot be captured (no display, no permission, a backend failure)."""


class NoDisplayError(CaptureError):
    """There is no display to capture (headless session, or Wayland without X)."""


@dataclass(frozen=True)
class Monitor:
    index: int  # mss numbering: 0 = all monitors together, 1.. = each monitor
    left: int
    top: int
    width: int
    height: int


def _check_display() -> None:
    if sys.platform.startswith("linux") and not os.environ.get("DISPLAY"):
        raise NoDisplayError("no X display to capture (DISPLAY is not set)")


def _mss():
    _check_display()
    import mss
    import mss.exception

    try:
        factory = getattr(mss, "MSS", None) or mss.mss  # mss >= 10.2 renames the factory
        return factory()
    except mss.exception.ScreenShotError as exc:
        raise NoDisplayError(f"cannot open the display for capture: {exc}") from exc


def monitors() -> list[Monitor]:
    """All monitors, index 0 being the whole virtual desktop."""
    with _mss() as sct:
        return [Monitor(i, m["left"], m["top"], m["width"], m["height"])
                for i, m in enumerate(sct.monitors)]


def grab_monitor(index: int = 0) -> Image.Image:
    """An RGB image of monitor `index` (0: all monitors)."""
    import mss.exception

    with _mss() as sct:
        if not 0 <= index < len(sct.monitors):
            raise CaptureError(f"no monitor {index} (there are {len(sct.monitors) - 1})")
        try:
            shot = sct.grab(sct.monitors[index])
        except mss.exception.ScreenShotError as exc:
            raise CaptureError(f"screen capture failed: {exc}") from exc
    return Image.frombytes("RGB", shot.size, shot.bgra, "raw", "BGRX")


def grab_full() -> Image.Image:
    """The whole virtual desktop."""
    return grab_monitor(0)


def crop_region(image: Image.Image, box: tuple[int, int, int, int]) -> Image.Image:
    """The region (x0, y0, x1, y1), clipped to the image; CaptureError if empty."""
    x0, y0, x1, y1 = box
    x0, x1 = sorted((max(0, min(x0, image.width)), max(0, min(x1, image.width))))
    y0, y1 = sorted((max(0, min(y0, image.height)), max(0, min(y1, image.height))))
    if x1 - x0 < 1 or y1 - y0 < 1:
        raise CaptureError("the selected region is empty")
    return image.crop((x0, y0, x1, y1))


def grab_region(box: tuple[int, int, int, int]) -> Image.Image:
    """A region of the virtual desktop, in its coordinates relative to its top-left corner."""
    return crop_region(grab_full(), box)

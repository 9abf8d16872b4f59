"""Screen capture with mss: the whole desktop, one monitor, or a region of a full grab.

Coordinates: mss works in the virtual desktop's native pixels; monitor 0 is the whole desktop
and a full grab's pixel (0, 0) is its top-left corner (`Desktop.origin`, negative on Windows
when a monitor lies left of or above the primary one). Qt reports each screen by its native
top-left corner and its size in device-independent pixels (native size / devicePixelRatio);
`ScreenArea` holds that, and the functions below map a selection made on one screen back to
the grab's pixels exactly."""

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


@dataclass(frozen=True)
class Desktop:
    """A frozen grab of the whole virtual desktop and where its top-left pixel lies."""

    image: Image.Image
    origin: tuple[int, int]  # native virtual-desktop coordinates of pixel (0, 0)


def grab_desktop() -> Desktop:
    """The whole virtual desktop with its origin (call off the UI thread: up to ~60 ms)."""
    import mss.exception

    with _mss() as sct:
        whole = sct.monitors[0]
        try:
            shot = sct.grab(whole)
        except mss.exception.ScreenShotError as exc:
            raise CaptureError(f"screen capture failed: {exc}") from exc
    image = Image.frombytes("RGB", shot.size, shot.bgra, "raw", "BGRX")
    return Desktop(image, (int(whole["left"]), int(whole["top"])))


Box = tuple[int, int, int, int]  # x0, y0, x1, y1 (x1, y1 exclusive)


@dataclass(frozen=True)
class ScreenArea:
    """One screen as Qt reports it: native top-left, logical size, device-pixel ratio."""

    x: int
    y: int
    width: int  # device-independent pixels
    height: int
    dpr: float = 1.0
    name: str = ""

    def native_box(self) -> Box:
        """The screen in native virtual-desktop pixels."""
        return (self.x, self.y, self.x + round(self.width * self.dpr),
                self.y + round(self.height * self.dpr))


def screen_box(area: ScreenArea, desktop: Desktop) -> Box:
    """The part of the desktop grab that `area` shows, in grab pixels (clipped to the grab)."""
    x0, y0, x1, y1 = area.native_box()
    ox, oy = desktop.origin
    w, h = desktop.image.size
    return (min(max(x0 - ox, 0), w), min(max(y0 - oy, 0), h),
            min(max(x1 - ox, 0), w), min(max(y1 - oy, 0), h))


def selection_box(area: ScreenArea, desktop: Desktop, rect: Box) -> Box:
    """A selection (x0, y0, x1, y1) in `area`'s logical coordinates -> grab pixels.

    Not clipped: `crop_region` clips."""
    sx0, sy0 = area.x - desktop.origin[0], area.y - desktop.origin[1]
    x0, y0, x1, y1 = rect
    return (sx0 + round(x0 * area.dpr), sy0 + round(y0 * area.dpr),
            sx0 + round(x1 * area.dpr), sy0 + round(y1 * area.dpr))


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

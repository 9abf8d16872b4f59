"""Screen capture: the mss grab runs in a worker; the region selector covers every screen."""

from __future__ import annotations

from PIL import Image
from PySide6.QtCore import QTimer, Signal

from picd_desktop.app import capture
from picd_desktop.app.capture import Desktop
from picd_desktop.gui.controller import Controller
from picd_desktop.gui.region_selector import RegionSession
from picd_desktop.gui.workers import CallWorker

HIDE_MS = 200  # time for the window manager to take our window off the screen


class CaptureController(Controller):
    """Emits `captured(image)`; asks the window to hide and show itself around a grab."""

    captured = Signal(object)  # PIL image
    hide_requested = Signal()
    show_requested = Signal()
    session_opened = Signal(object)  # RegionSession

    def __init__(self, pool, parent=None) -> None:
        super().__init__(pool, parent)
        self.session: RegionSession | None = None

    def monitors(self) -> list[capture.Monitor]:
        """mss's monitors (index 0: all); CaptureError without a display."""
        return capture.monitors()

    def capture_monitor(self, index: int, delay_s: int = 0) -> None:
        """Grab monitor `index` (0: the whole desktop) after `delay_s` seconds."""
        def grab() -> None:
            self.run(CallWorker(lambda: capture.grab_monitor(index)), self._on_grabbed,
                     self._on_grab_failed)

        self._later(delay_s, grab, hide=bool(delay_s))

    def capture_region(self, delay_s: int = 0) -> None:
        """Hide the window, freeze the desktop (in a worker), then let the user select."""
        def grab() -> None:
            self.run(CallWorker(capture.grab_desktop), self.select_region,
                     self._on_grab_failed)

        self._later(delay_s, grab, hide=True)

    def select_region(self, desktop: Desktop) -> RegionSession:
        """Cover every screen with its part of `desktop`; a selection is `captured`."""
        session = RegionSession(desktop, parent=self)
        self.session = session
        session.selected.connect(lambda box: self._on_region(desktop, box))
        session.cancelled.connect(self._on_region_cancelled)
        session.start()
        self.session_opened.emit(session)
        return session

    def _later(self, delay_s: int, fn, hide: bool) -> None:
        if hide:
            self.hide_requested.emit()
        if delay_s:
            self.busy.emit(f"Capturing in {delay_s} s…", False)
        QTimer.singleShot(delay_s * 1000 + (HIDE_MS if hide else 0), fn)

    def _on_grabbed(self, image: Image.Image) -> None:
        self.show_requested.emit()
        self.captured.emit(image)

    def _on_grab_failed(self, title: str, message: str) -> None:
        self.show_requested.emit()
        self.failed.emit(title, message)

    def _on_region(self, desktop: Desktop, box: capture.Box) -> None:
        self.session = None
        self.show_requested.emit()
        try:
            image = capture.crop_region(desktop.image, box)
        except capture.CaptureError as exc:
            self.fail(exc)
            return
        self.captured.emit(image)

    def _on_region_cancelled(self) -> None:
        self.session = None
        self.show_requested.emit()
        self.idle.emit("Capture cancelled")

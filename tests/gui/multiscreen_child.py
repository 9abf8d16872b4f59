"""Run under a real X display (xcb) by test_multiscreen.py, in its own process.

    python multiscreen_child.py wallpaper
        Shows a frameless window over the whole virtual desktop whose pixel (x, y) encodes
        its own native coordinates: R = x % 256, G = y % 256, B = 16 * (x // 256) + y // 256.
        Prints "ready" once it is on the screen, then waits to be killed.
    python multiscreen_child.py select SCREEN X0 Y0 X1 Y1
        Runs CaptureController.capture_region; drags from (X0, Y0) to (X1, Y1) in the
        selector of SCREEN (logical coordinates) and prints a JSON report: the selectors'
        screens and geometries, the captured size and its corner pixels decoded.
"""

from __future__ import annotations

import json
import sys

import numpy as np
from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget


def coordinate_image(width: int, height: int) -> QImage:
    y, x = np.mgrid[0:height, 0:width]
    rgb = np.stack([x % 256, y % 256, 16 * (x // 256) + y // 256], axis=-1).astype(np.uint8)
    data = np.ascontiguousarray(rgb).tobytes()
    return QImage(data, width, height, 3 * width, QImage.Format.Format_RGB888).copy()


def decode(pixel: tuple[int, int, int]) -> tuple[int, int]:
    r, g, b = pixel
    return r + 256 * (b // 16), g + 256 * (b % 16)


class Wallpaper(QWidget):
    def __init__(self) -> None:
        super().__init__(None, Qt.WindowType.FramelessWindowHint | Qt.WindowType.Tool)
        geometry = QGuiApplication.primaryScreen().virtualGeometry()
        self.image = coordinate_image(geometry.width(), geometry.height())
        self.setGeometry(geometry)

    def paintEvent(self, event) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.drawImage(0, 0, self.image)
        painter.end()


def wallpaper() -> int:
    app = QApplication(sys.argv[:1])
    widget = Wallpaper()
    widget.show()
    QTest.qWaitForWindowExposed(widget)
    QTimer.singleShot(300, lambda: print("ready", flush=True))
    return app.exec()


def select(target: str, x0: int, y0: int, x1: int, y1: int) -> int:
    app = QApplication(sys.argv[:1])
    from picd_desktop.gui.capture_controller import CaptureController
    from picd_desktop.gui.workers import JobPool

    pool = JobPool()
    controller = CaptureController(pool)
    report: dict = {"screens": {s.name(): [s.geometry().getRect(), s.devicePixelRatio()]
                                for s in QGuiApplication.screens()}}

    def on_session(session) -> None:
        report["selectors"] = {}
        for screen, _, selector in session.selectors:
            QTest.qWaitForWindowExposed(selector)
            report["selectors"][screen.name()] = [selector.windowHandle().screen().name(),
                                                  selector.geometry().getRect()]
        screen = next(s for s, _, _ in session.selectors if s.name() == target)
        selector = session.selector_for(screen)
        QTest.mousePress(selector, Qt.MouseButton.LeftButton, pos=QPoint(x0, y0))
        QTest.mouseMove(selector, QPoint((x0 + x1) // 2, (y0 + y1) // 2))
        QTest.mouseRelease(selector, Qt.MouseButton.LeftButton, pos=QPoint(x1, y1))

    def on_captured(image) -> None:
        w, h = image.size
        report["size"] = [w, h]
        report["top_left"] = decode(image.getpixel((0, 0)))
        report["bottom_right"] = decode(image.getpixel((w - 1, h - 1)))
        app.quit()

    def on_failed(title: str, message: str) -> None:
        report["error"] = [title, message]
        app.quit()

    controller.session_opened.connect(on_session)
    controller.captured.connect(on_captured)
    controller.failed.connect(on_failed)
    controller.capture_region(0)
    QTimer.singleShot(30_000, app.quit)
    app.exec()
    pool.stop_all()
    print(json.dumps(report), flush=True)
    return 0


if __name__ == "__main__":
    if sys.argv[1] == "wallpaper":
        sys.exit(wallpaper())
    sys.exit(select(sys.argv[2], *map(int, sys.argv[3:7])))

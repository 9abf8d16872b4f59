"""Screen capture under Xvfb (mss needs a real X display) and the region selector."""

from __future__ import annotations

from PIL import Image
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QTest

from picd_desktop import api
from picd_desktop.app import capture
from picd_desktop.app.capture import Desktop


def test_grab_under_xvfb(display: str) -> None:
    found = capture.monitors()
    assert [(m.width, m.height) for m in found] == [(1024, 768), (1024, 768)]
    image = capture.grab_full()
    assert image.mode == "RGB" and image.size == (1024, 768)
    assert capture.grab_monitor(1).size == (1024, 768)
    assert capture.grab_region((10, 20, 110, 70)).size == (100, 50)


def test_capture_full_screen_into_archive(qtbot, window, display: str) -> None:
    with qtbot.waitSignal(window.encoded, timeout=60_000) as encoded:
        window.capture_full()
    added = encoded.args[0]
    assert added.path.is_file()
    info = api.info(added.path)
    assert (info.width, info.height) == (1024, 768)


def test_region_selector_drag_and_escape(qtbot, window) -> None:
    image = Image.new("RGB", (640, 400), (240, 240, 240))
    image.putpixel((20, 30), (255, 0, 0))
    session = window.captures.select_region(Desktop(image, (0, 0)))
    assert len(session.selectors) == len(QGuiApplication.screens())
    selector = session.selectors[0][2]
    qtbot.addWidget(selector)
    qtbot.waitExposed(selector)
    assert selector.geometry() == QGuiApplication.primaryScreen().geometry()
    with qtbot.waitSignal(session.selected, timeout=5_000) as selected:
        QTest.mousePress(selector, Qt.MouseButton.LeftButton, pos=QPoint(20, 30))
        QTest.mouseRelease(selector, Qt.MouseButton.LeftButton, pos=QPoint(220, 130))
    assert selected.args[0] == (20, 30, 220, 130)  # offscreen: one screen, dpr 1
    assert window.source_image.size == (200, 100)
    assert window.source_image.getpixel((0, 0)) == (255, 0, 0)
    assert not selector.isVisible()
    window.cancel()

    other = window.captures.select_region(Desktop(image, (0, 0)))
    selector = other.selectors[0][2]
    qtbot.addWidget(selector)
    qtbot.waitExposed(selector)
    with qtbot.waitSignal(other.cancelled, timeout=5_000):
        QTest.keyClick(selector, Qt.Key.Key_Escape)
    assert not selector.isVisible()

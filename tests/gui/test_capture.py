"""Screen capture under Xvfb (mss needs a real X display) and the region selector."""

from __future__ import annotations

from PIL import Image
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from picd_desktop import api
from picd_desktop.app import capture


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
    selector = window.open_region_selector(image)
    qtbot.addWidget(selector)
    qtbot.waitExposed(selector)
    with qtbot.waitSignal(selector.selected, timeout=5_000) as selected:
        QTest.mousePress(selector, Qt.MouseButton.LeftButton, pos=QPoint(20, 30))
        QTest.mouseRelease(selector, Qt.MouseButton.LeftButton, pos=QPoint(220, 130))
    rect = selected.args[0]
    sx, sy = 640 / selector.width(), 400 / selector.height()
    assert (rect.x(), rect.y()) == (round(20 * sx), round(30 * sy))
    assert (rect.width(), rect.height()) == (round(200 * sx), round(100 * sy))
    assert window.source_image.size == (rect.width(), rect.height())
    window.cancel()

    other = window.open_region_selector(image)
    qtbot.addWidget(other)
    qtbot.waitExposed(other)
    with qtbot.waitSignal(other.cancelled, timeout=5_000):
        QTest.keyClick(other, Qt.Key.Key_Escape)
    assert not other.isVisible()

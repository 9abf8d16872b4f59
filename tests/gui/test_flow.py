"""The whole path: image -> encode -> archive -> index -> search -> open -> decode ->
overlay -> export, through the real window, real Tesseract and real files."""

from __future__ import annotations

import re
from pathlib import Path

from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QTest
from screens import render_screenshot

from picd_desktop import api


def test_capture_to_export(qtbot, window, tmp_path: Path) -> None:
    with qtbot.waitSignal(window.archive_loaded, timeout=30_000) as loaded:
        window.start()
    assert loaded.args == [0]
    events: list = []
    window.encoded.connect(lambda added: events.append(("encoded", added)))
    window.previewed.connect(lambda step, total: events.append(("preview", step, total)))
    window.decoded.connect(lambda result: events.append(("decoded", result)))

    # capture (a rendered screenshot stands in for the screen) -> encode -> archive
    window.show_source(render_screenshot())
    with qtbot.waitSignal(window.verified, timeout=90_000):
        window.encode_current()
    kinds = [e[0] for e in events]
    assert kinds.index("encoded") < kinds.index("preview") < kinds.index("decoded")
    added = events[0][1]
    assert added.path.parent == tmp_path / "archive"
    assert added.file_bytes < added.png_bytes
    assert "smaller" in window.status.text() or "decoded" in window.status.text()

    # archive grid and full-text search (FTS5)
    qtbot.waitUntil(lambda: window.archive.visible_paths() == [added.path], timeout=30_000)
    assert "1 captures" in window.archive.totals.text()
    assert "saved vs PNG" in window.archive.totals.text()
    window.show_archive()
    with qtbot.waitSignal(window.searched, timeout=10_000):  # FTS5 in the search thread
        window.archive.search_box.setText("zebra")
    assert window.archive.visible_paths() == []
    with qtbot.waitSignal(window.searched, timeout=10_000,
                          check_params_cb=lambda query: query == "lazy dog"):
        window.archive.search_box.setText("lazy do")
        window.archive.search_box.setText("lazy dog")
    assert window.archive.visible_paths() == [added.path]

    # open the hit: decode with previews, verification overlay, hit highlighted
    events.clear()
    with qtbot.waitSignal(window.verified, timeout=60_000) as verified:
        window.archive.open_requested.emit(added.path)
    assert window.tabs.currentWidget() is window.viewer
    assert ("preview", 1, 1) in events
    report = verified.args[0]
    match = re.fullmatch(r"(\d+) of (\d+) words verified", window.verify_label.text())
    assert match and int(match[2]) == report.total == api.read_text(added.path).word_count
    assert int(match[1]) >= 0.9 * report.total
    assert len(window.overlay.words) == report.total
    assert len(window.overlay.hits) == 1

    # click a word box: its text is copied
    box = next(b for b in window.overlay.words if b.check.expected == "quick")
    window.viewer.actual_size()
    window.viewer.centerOn(box)
    point = window.viewer.mapFromScene(box.mapToScene(box.rect().center()))
    QTest.mouseClick(window.viewer.viewport(), Qt.MouseButton.LeftButton, pos=point)
    assert QGuiApplication.clipboard().text() == "quick"
    window.copy_text()
    assert "quick brown fox" in QGuiApplication.clipboard().text()

    # export the render as PNG (atomic, never overwriting)
    target = tmp_path / "out.png"
    with qtbot.waitSignal(window.exported, timeout=30_000):
        window.export_png(target)
    with Image.open(target) as exported:
        assert exported.tobytes() == api.decode(added.path).tobytes()
    with qtbot.waitSignal(window.error_shown, timeout=30_000) as error:
        window.export_png(target)
    assert error.args[0] == "File exists"

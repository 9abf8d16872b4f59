"""Views on their own: archive grid, viewer zoom, overlay texts, settings, entry point."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from picd_desktop import api
from picd_desktop.app import settings as store
from picd_desktop.app.library import Entry
from picd_desktop.app.settings import Settings
from picd_desktop.gui.archive_view import ArchiveView, human_bytes, totals_text
from picd_desktop.gui.overlay import summary, tooltip
from picd_desktop.gui.settings_dialog import SettingsDialog
from picd_desktop.gui.viewer import ImageViewer
from picd_desktop.gui.workers import to_qimage
from picd_desktop.verify import VerifyReport, WordCheck


def _entry(name: str, size: int, created: int, png: int | None = 10_000) -> Entry:
    return Entry(Path(f"/a/{name}.picd"), size, created, 100, 50, png, 3)


def test_archive_sorts_and_totals(qtbot) -> None:
    view = ArchiveView()
    qtbot.addWidget(view)
    entries = [_entry("a", 300, 1), _entry("b", 100, 3), _entry("c", 200, 2, None)]
    view.set_entries(entries, {})
    assert [p.stem for p in view.visible_paths()] == ["b", "c", "a"]  # newest first
    view.sort_box.setCurrentText("Largest first")
    assert [p.stem for p in view.visible_paths()] == ["a", "c", "b"]
    view.sort_box.setCurrentText("Smallest first")
    assert [p.stem for p in view.visible_paths()] == ["b", "c", "a"]
    view.set_filter({Path("/a/c.picd"): "…"})
    assert [p.stem for p in view.visible_paths()] == ["c"]
    text = totals_text(entries)
    assert text.startswith("3 captures · 600 B")
    assert "19.1 KB saved vs PNG (50× smaller)" in text
    assert human_bytes(5 * 1024 * 1024) == "5.0 MB"


def test_viewer_zoom_is_bounded(qtbot, screenshot) -> None:
    viewer = ImageViewer()
    qtbot.addWidget(viewer)
    viewer.set_image(to_qimage(screenshot))
    viewer.actual_size()
    viewer.zoom_in()
    assert abs(viewer.zoom - 1.25) < 1e-9
    for _ in range(100):
        viewer.zoom_out()
    assert viewer.zoom == 0.05


def test_overlay_texts() -> None:
    ok = WordCheck("Save", "Save", (0, 0, 10, 10), True, "verified")
    bad = WordCheck("file", "fi1e", (0, 0, 10, 10), True, "mismatch")
    gone = WordCheck("dog", "", (0, 0, 10, 10), False, "missing")
    assert summary(VerifyReport((ok, bad, gone))) == "1 of 3 words verified"
    assert tooltip(bad) == "Expected “file”, OCR read “fi1e”"
    assert tooltip(gone) == "Expected “dog”, OCR read nothing"


def test_settings_dialog_and_persistence(qtbot, window, tmp_path: Path) -> None:
    dialog = SettingsDialog(window.settings, ["composite"], window,
                            base_codecs=api.base_codecs(), default_base=api.default_base_codec())
    qtbot.addWidget(dialog)
    assert dialog.base_codec.currentData() == ""  # the default codec
    learned = max(i for i in api.base_codecs() if i.startswith("learned-"))
    dialog.base_codec.setCurrentIndex(dialog.base_codec.findData(learned))
    dialog.quality.setValue(6)
    dialog.langs.setText("eng+deu")
    dialog.archive.setText(str(tmp_path / "elsewhere"))
    new = dialog.result_settings()
    assert (new.quality, new.langs, new.base_codec) == (6, "eng+deu", learned)
    with qtbot.waitSignal(window.archive_loaded, timeout=30_000):
        window.apply_settings(new)
    assert window.library.folder == tmp_path / "elsewhere"
    assert store.load(tmp_path / "settings.json") == new


def test_entry_point_opens_a_picd(qtbot, picd_path: Path) -> None:
    from picd_desktop.gui import app as entry
    from picd_desktop.gui.main_window import MainWindow

    seen: list = []

    def poll() -> None:
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, MainWindow) and widget.isVisible():
                if widget.result is not None:
                    seen.append(widget.result.path)
                    widget.close()
                    QApplication.quit()
                return

    timer = QTimer()
    timer.timeout.connect(poll)
    timer.start(50)
    guard = QTimer()  # never hang the suite (stopped after: a pending quit would end the
    guard.setSingleShot(True)  # event loops of later tests' waitSignal/waitUntil)
    guard.timeout.connect(QApplication.quit)
    guard.start(60_000)
    try:
        assert entry.main([str(picd_path)]) == 0
    finally:
        timer.stop()
        guard.stop()
    assert seen == [picd_path]
    assert Settings().quality == 3

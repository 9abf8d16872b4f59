"""The main window's menus; every action is stored on the window as `act_*`."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu

from picd_desktop.app.capture import CaptureError


def _action(window: QMainWindow, menu: QMenu, text: str, slot: Callable, shortcut=None,
            checkable: bool = False) -> QAction:
    action = QAction(text, window, checkable=checkable)
    if shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
    action.triggered.connect(slot)
    menu.addAction(action)
    return action


def build_menus(w) -> None:
    """File, Edit and View menus of MainWindow `w`."""
    bar = w.menuBar()
    f = bar.addMenu("&File")
    _action(w, f, "&Open…", w.open_dialog, QKeySequence.StandardKey.Open)
    f.addSeparator()
    w.act_capture_region = _action(w, f, "Capture &region", w.capture_region, "Ctrl+Shift+R")
    w.act_capture_full = _action(w, f, "Capture &full screen", w.capture_full, "Ctrl+Shift+F")
    w.monitor_menu = f.addMenu("Capture &monitor")
    w.monitor_menu.aboutToShow.connect(lambda: fill_monitors(w))
    f.addSeparator()
    w.act_archive = _action(w, f, "Compress to &archive", w.encode_current, "Ctrl+S")
    w.act_save_as = _action(w, f, "Save .picd &as…", w.save_picd_dialog, "Ctrl+Shift+S")
    w.act_export = _action(w, f, "&Export PNG…", w.export_dialog, "Ctrl+E")
    f.addSeparator()
    _action(w, f, "&Settings…", w.settings_dialog, QKeySequence.StandardKey.Preferences)
    _action(w, f, "&Quit", w.close, QKeySequence.StandardKey.Quit)
    e = bar.addMenu("&Edit")
    w.act_copy_image = _action(w, e, "Copy &image", w.copy_image, "Ctrl+Shift+C")
    w.act_copy_text = _action(w, e, "Copy all &text", w.copy_text, "Ctrl+Shift+T")
    v = bar.addMenu("&View")
    _action(w, v, "Zoom &in", w.viewer.zoom_in, QKeySequence.StandardKey.ZoomIn)
    _action(w, v, "Zoom &out", w.viewer.zoom_out, QKeySequence.StandardKey.ZoomOut)
    _action(w, v, "&Fit", w.viewer.fit, "Ctrl+0")
    _action(w, v, "&Actual size", w.viewer.actual_size, "Ctrl+1")
    v.addSeparator()
    w.act_preview = _action(w, v, "Show quick &preview", w.toggle_preview, "P", checkable=True)
    w.act_overlay = _action(w, v, "Show &verification overlay", w.overlay.set_visible, "V",
                            checkable=True)
    w.act_overlay.setChecked(True)
    w.act_verify = _action(w, v, "&Verify text again", w.verify, "Ctrl+R")
    w.act_archive_tab = _action(w, v, "Archi&ve", w.show_archive, "Ctrl+2")


def fill_monitors(w) -> None:
    """One entry per monitor (asks mss: a few milliseconds, no grab)."""
    w.monitor_menu.clear()
    try:
        found = w.captures.monitors()[1:]
    except CaptureError as exc:
        w.monitor_menu.addAction(str(exc)).setEnabled(False)
        return
    for m in found:
        w.monitor_menu.addAction(f"Monitor {m.index} ({m.width}×{m.height})",
                                 lambda i=m.index: w.capture_monitor(i))

"""Errors become non-blocking dialogs with clear text; the window keeps working."""

from __future__ import annotations

import errno
from pathlib import Path

from PySide6.QtWidgets import QMessageBox
from screens import render_screenshot

from picd_desktop.format import errors
from picd_desktop.gui.errors import describe


def test_truncated_file_dialog(qtbot, window, tmp_path: Path, picd_bytes: bytes,
                               picd_path: Path) -> None:
    bad = tmp_path / "cut.picd"
    bad.write_bytes(picd_bytes[: len(picd_bytes) // 2])
    with qtbot.waitSignal(window.error_shown, timeout=30_000) as shown:
        window.open_path(bad)
    title, message = shown.args
    assert title == "Corrupt file"
    assert "truncated" in message and "damaged or incomplete" in message
    assert "Traceback" not in message
    box = window.error_box
    assert isinstance(box, QMessageBox) and box.isVisible()
    assert (box.windowTitle(), box.text()) == (title, message)
    assert not window.progress.isVisible()
    box.close()
    with qtbot.waitSignal(window.decoded, timeout=30_000):  # the app still works
        window.open_path(picd_path)


def test_checksum_and_missing_file(qtbot, window, tmp_path: Path, picd_bytes: bytes) -> None:
    flipped = bytearray(picd_bytes)
    flipped[len(flipped) // 2] ^= 0xFF
    bad = tmp_path / "flip.picd"
    bad.write_bytes(bytes(flipped))
    with qtbot.waitSignal(window.error_shown, timeout=30_000) as shown:
        window.open_path(bad)
    assert shown.args[0] == "Corrupt file"
    with qtbot.waitSignal(window.error_shown, timeout=5_000) as shown:
        window.open_path(tmp_path / "nope.picd")
    assert shown.args[0] == "Cannot open file"


def test_missing_ocr_language_dialog(qtbot, window) -> None:
    window.settings.langs = "zzz"
    window.show_source(render_screenshot(200, 80))
    with qtbot.waitSignal(window.error_shown, timeout=30_000) as shown:
        window.encode_current()
    title, message = shown.args
    assert title == "Tesseract is missing"
    assert "'zzz'" in message
    assert window.act_archive.isEnabled()  # can retry after fixing the settings


def test_describe_maps_every_kind() -> None:
    assert describe(MemoryError())[0] == "Out of memory"
    assert describe(errors.DiskFullError("cannot write x: disk full"))[0] == "Disk full"
    assert describe(OSError(errno.ENOSPC, "No space left on device", "/a"))[0] == "Disk full"
    assert describe(errors.BadMagicError("x"))[0] == "Not a PICD file"
    assert describe(errors.UnsupportedVersionError("v9"))[0] == "Newer file format"
    assert describe(errors.OcrUnavailableError("no tesseract"))[0] == "Tesseract is missing"
    assert describe(PermissionError(errno.EACCES, "Permission denied", "/x"))[0] == "File error"
    title, message = describe(RuntimeError("boom"))
    assert title == "Unexpected error" and "boom" in message

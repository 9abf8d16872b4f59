"""Thread and binding safety: switching archives while queries run, PySide6 refcounts."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QObject

from picd_desktop.app.library import Library
from picd_desktop.gui.archive_controller import ArchiveController
from picd_desktop.gui.workers import JobPool


def test_switching_archives_while_searching(qtbot, tmp_path: Path, picd_bytes: bytes) -> None:
    """set_library with queries in flight: the search thread keeps one live searcher (it
    used to be deleted from the UI thread while its thread ran a queued call: segfault)."""
    full, empty = tmp_path / "full", tmp_path / "empty"
    full.mkdir()
    empty.mkdir()
    (full / "shot.picd").write_bytes(picd_bytes)
    pool = JobPool()
    controller = ArchiveController(pool, Library(empty))
    try:
        for i in range(100):
            controller.search("quick" if i % 2 else "lazy dog")
            controller.set_library(Library(full if i % 2 else empty))
            QCoreApplication.processEvents()
        with qtbot.waitSignal(controller.searched, timeout=30_000,
                              check_params_cb=lambda query, hits: bool(hits)) as searched:
            controller.set_library(Library(full))
            controller.search("quick")
        query, hits = searched.args
        assert query == "quick" and list(hits) == [full / "shot.picd"]
        assert "[quick]" in hits[full / "shot.picd"]  # the FTS5 snippet marks the match
    finally:
        assert pool.stop_all()
        controller.close()
    assert not controller._thread.isRunning()


@pytest.mark.skipif(sys.version_info >= (3, 12),
                    reason="None, True and False are immortal from Python 3.12")
def test_binding_keeps_singleton_refcounts() -> None:
    """Qt calls returning None or a bool must not drop a reference to it. PySide6 6.12.0
    on CPython 3.11 does (its abi3 build assumes immortal singletons): the app then dies
    with "Fatal Python error: none_dealloc / bool_dealloc" after a few thousand calls."""
    obj = QObject()
    before = sys.getrefcount(None), sys.getrefcount(True), sys.getrefcount(False)
    for _ in range(200):
        QCoreApplication.processEvents()  # returns None
        obj.signalsBlocked()  # returns False
        obj.blockSignals(True)  # returns False (the old state)
        obj.blockSignals(False)  # returns True
    after = sys.getrefcount(None), sys.getrefcount(True), sys.getrefcount(False)
    assert after == before, f"refcounts of None/True/False went {before} -> {after}"

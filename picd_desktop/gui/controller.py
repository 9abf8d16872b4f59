"""The base of the window's controllers: run workers, report status through signals.

A controller owns one kind of work (capture, encode, decode, archive). It starts workers in
the shared `JobPool`, keeps the state of that work and tells the window what to show through
signals; it never touches a widget.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from picd_desktop.gui.errors import describe
from picd_desktop.gui.workers import JobPool, Worker


class Controller(QObject):
    """Status signals shared by every controller."""

    busy = Signal(str, bool)  # status text, cancellable
    progress = Signal(int, int, str)  # value, maximum, label
    idle = Signal(str)  # status text once the work is over
    failed = Signal(str, str)  # dialog title, message

    def __init__(self, pool: JobPool, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pool = pool

    def run(self, worker: Worker, on_done: Callable, on_fail: Callable | None = None) -> Worker:
        """Start `worker`; the callbacks run on the UI thread (through its Job)."""
        job = self.pool.start(worker)
        job.finished.connect(on_done)
        job.failed.connect(on_fail or self.failed.emit)
        return worker

    def fail(self, exc: BaseException) -> None:
        """Report an exception caught on the UI thread as a dialog."""
        self.failed.emit(*describe(exc))

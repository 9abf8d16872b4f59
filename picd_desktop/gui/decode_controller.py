"""Decoding and verification: the settings' renderer options go to api.decode in a worker."""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtGui import QImage

from picd_desktop.app.settings import Settings, decode_options
from picd_desktop.gui.controller import Controller
from picd_desktop.gui.workers import CallWorker, Decoded, DecodeWorker, Worker
from picd_desktop.verify import VerifyReport, verify_image


class DecodeController(Controller):
    """Decodes one `.picd` at a time (a new decode cancels the running one)."""

    previewed = Signal(QImage, int, int)  # image, step, total (step 0: quick preview)
    decoded = Signal(object)  # Decoded
    verifying = Signal()
    verified = Signal(object, object)  # Decoded, VerifyReport
    verify_failed = Signal(str, str)
    cancelled = Signal()

    def __init__(self, pool, parent=None) -> None:
        super().__init__(pool, parent)
        self.worker: Worker | None = None
        self.options: dict = {}
        self.seconds = 0.0
        self._t0 = 0.0

    def decode(self, path: Path, settings: Settings, device: str) -> None:
        self.cancel()
        self.options = decode_options(settings)
        worker = DecodeWorker(path, self.options)
        worker.preview.connect(self._on_preview)
        worker.cancelled.connect(self._on_cancelled)
        self._t0 = time.perf_counter()
        self.worker = self.run(worker, self._on_decoded, self._on_failed)
        self.busy.emit(f"Decoding {path.name} on {device}…", True)

    def cancel(self) -> None:
        if self.worker is not None:
            self.worker.cancel()

    def _on_preview(self, image: QImage, step: int, total: int) -> None:
        if total:
            self.progress.emit(step, total, f"step {step} of {total}")
        self.previewed.emit(image, step, total)

    def _on_decoded(self, result: Decoded) -> None:
        self.worker = None
        self.seconds = time.perf_counter() - self._t0
        self.decoded.emit(result)

    def _on_failed(self, title: str, message: str) -> None:
        self.worker = None
        self.failed.emit(title, message)

    def _on_cancelled(self) -> None:
        self.worker = None
        self.idle.emit("Decoding cancelled")
        self.cancelled.emit()

    def verify(self, result: Decoded) -> None:
        """Re-OCR the render and check every word of the text layer (in a worker)."""
        self.verifying.emit()
        worker = CallWorker(lambda: verify_image(result.render, result.layer))
        self.run(worker, lambda report: self._on_verified(result, report),
                 self.verify_failed.emit)

    def _on_verified(self, result: Decoded, report: VerifyReport) -> None:
        self.verified.emit(result, report)

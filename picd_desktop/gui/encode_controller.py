"""Encoding: into the archive or to a chosen path, in the encoder child process."""

from __future__ import annotations

import time
from pathlib import Path

from PIL import Image
from PySide6.QtCore import Signal

from picd_desktop.app.encoder import EncodeJob, EncoderProcess
from picd_desktop.app.library import Added, Library
from picd_desktop.app.settings import Settings
from picd_desktop.gui.controller import Controller
from picd_desktop.gui.workers import EncodeWorker, JobPool, SaveWorker, Worker

STAGES = {"ocr": "Reading text (OCR)", "base": "Coding the base layer", "write": "Writing"}


class EncodeController(Controller):
    """One encode at a time; Cancel kills the encoder child (a fresh one replaces it)."""

    encoded = Signal(object)  # Added
    saved = Signal(Path)
    cancelled = Signal()
    running_changed = Signal(bool)

    def __init__(self, pool: JobPool, encoder: EncoderProcess | None = None,
                 parent=None) -> None:
        super().__init__(pool, parent)
        self._owns_encoder = encoder is None  # a shared one is closed by its owner
        self.encoder = encoder or EncoderProcess()
        self.worker: Worker | None = None
        self.seconds = 0.0
        self._t0 = 0.0

    @property
    def running(self) -> bool:
        return self.worker is not None

    def warm(self) -> None:
        """Start the encoder child ahead of the first capture (it imports in the background)."""
        self.encoder.warm()

    def encode(self, image: Image.Image, library: Library, settings: Settings) -> None:
        """Compress `image` into the archive."""
        if self.worker is not None:
            return
        worker = EncodeWorker(self.encoder, library, image, settings.quality, settings.langs,
                              base=settings.base_codec or None)
        worker.stage.connect(self._on_stage)
        worker.cancelled.connect(self._on_cancelled)
        self._start(worker, self._on_encoded, "Compressing…")

    def save_as(self, image: Image.Image, target: Path, settings: Settings,
                overwrite: bool = False) -> None:
        """Compress `image` to `target` (the save dialog has asked before replacing)."""
        if self.worker is not None:
            return
        job = EncodeJob(image, settings.quality, settings.langs,
                        base=settings.base_codec or None)
        worker = SaveWorker(self.encoder, job, target, overwrite)
        worker.cancelled.connect(self._on_cancelled)
        self._start(worker, self._on_saved, f"Compressing to {target.name}…")

    def cancel(self) -> None:
        if self.worker is not None:
            self.worker.cancel()

    def close(self) -> None:
        if self._owns_encoder:
            self.encoder.close()

    def _start(self, worker: Worker, on_done, text: str) -> None:
        self._t0 = time.perf_counter()
        self.worker = self.run(worker, on_done, self._on_failed)
        self.busy.emit(text, True)
        self.running_changed.emit(True)

    def _done(self) -> None:
        self.worker = None
        self.seconds = time.perf_counter() - self._t0
        self.running_changed.emit(False)

    def _on_stage(self, name: str, done: int, total: int) -> None:
        self.progress.emit(done, total, STAGES.get(name, name))

    def _on_encoded(self, added: Added) -> None:
        self._done()
        self.encoded.emit(added)

    def _on_saved(self, path: Path) -> None:
        self._done()
        self.idle.emit(f"Saved {path}")
        self.saved.emit(path)

    def _on_failed(self, title: str, message: str) -> None:
        self._done()
        self.failed.emit(title, message)

    def _on_cancelled(self) -> None:
        self._done()
        self.idle.emit("Compression cancelled")
        self.cancelled.emit()

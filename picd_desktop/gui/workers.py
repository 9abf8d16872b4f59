"""Workers that run the API off the UI thread; they talk to the UI only through signals.

Each worker lives in its own QThread (see `Job`). Cancelling sets a thread-safe flag that the
API polls through its `cancel` callback; a cancelled worker emits `cancelled`, never
`finished`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image
from PySide6.QtCore import QObject, QThread, Signal, Slot
from PySide6.QtGui import QImage

from picd_desktop import api
from picd_desktop.app.encoder import EncodeJob, EncoderProcess
from picd_desktop.app.library import Added, Library, source_name
from picd_desktop.format.errors import Cancelled
from picd_desktop.fsutil import write_atomic
from picd_desktop.gui.errors import describe
from picd_desktop.imageio import ImageSource
from picd_desktop.text.layer import TextLayer


def to_qimage(image: Image.Image) -> QImage:
    """A QImage owning a copy of an RGB PIL image's pixels."""
    rgb = image.convert("RGB")
    data = rgb.tobytes()
    qimage = QImage(data, rgb.width, rgb.height, 3 * rgb.width, QImage.Format.Format_RGB888)
    return qimage.copy()


class Worker(QObject):
    """Runs `work()` once in its thread and reports exactly one of three outcomes."""

    finished = Signal(object)
    failed = Signal(str, str)  # title, message
    cancelled = Signal()

    def __init__(self) -> None:
        super().__init__()
        self._cancel = threading.Event()

    def cancel(self) -> None:
        """Ask the work to stop (thread-safe; the API polls `is_cancelled`)."""
        self._cancel.set()

    def is_cancelled(self) -> bool:
        return self._cancel.is_set()

    def work(self) -> object:
        raise NotImplementedError

    @Slot()
    def run(self) -> None:
        try:
            result = self.work()
        except Cancelled:
            self.cancelled.emit()
        except (Exception, MemoryError) as exc:  # everything becomes a dialog, never a crash
            self.failed.emit(*describe(exc))
        else:
            if self.is_cancelled():
                self.cancelled.emit()
            else:
                self.finished.emit(result)


class CallWorker(Worker):
    """Runs any callable (export, verification, index sync, device probe)."""

    def __init__(self, fn: Callable[[], object]) -> None:
        super().__init__()
        self._fn = fn

    def work(self) -> object:
        return self._fn()


class EncodeWorker(Worker):
    """Encodes an image into the archive in the encoder child process (`app.encoder`):
    `stage` reports OCR, base layer and writing; cancel kills the child at once."""

    stage = Signal(str, int, int)

    def __init__(self, encoder: EncoderProcess, library: Library, image: ImageSource,
                 quality: float, lang: str, name: str | None = None,
                 base: str | None = None) -> None:
        super().__init__()
        self._encoder, self._library, self._image = encoder, library, image
        self._quality, self._lang, self._name, self._base = quality, lang, name, base

    def work(self) -> Added:
        job = EncodeJob(self._image, self._quality, self._lang, source_name(self._image),
                        self._base)
        data, png = self._encoder.encode(job, stage=self.stage.emit, cancel=self.is_cancelled)
        if self.is_cancelled():
            raise Cancelled("encoding cancelled")
        return self._library.add_encoded(data, png, self._name)


class SaveWorker(Worker):
    """Encodes an image in the encoder child and writes the `.picd` to a chosen path."""

    def __init__(self, encoder: EncoderProcess, job: EncodeJob, target: Path,
                 overwrite: bool = False) -> None:
        super().__init__()
        self._encoder, self._job = encoder, job
        self._target, self._overwrite = target, overwrite

    def work(self) -> Path:
        data, _ = self._encoder.encode(self._job, cancel=self.is_cancelled)
        write_atomic(self._target, data, overwrite=self._overwrite)
        return self._target


@dataclass(frozen=True)
class Decoded:
    """A finished decode: the quick preview, the final render and the text layer."""

    path: Path
    preview: Image.Image
    render: Image.Image
    layer: TextLayer


class DecodeWorker(Worker):
    """Decodes a `.picd`, emitting `preview(image, step, total)` as the render progresses.

    Step 0 is the quick preview (base plus glyphs, the composite renderer); steps 1..N are
    the chosen renderer's intermediate estimates (one step for the composite renderer).
    """

    preview = Signal(QImage, int, int)

    def __init__(self, path: str | Path, options: dict | None = None) -> None:
        super().__init__()
        self._path = Path(path)
        self._options = dict(options or {})  # api.decode keywords: renderer, device, ...
        self._first: Image.Image | None = None

    def _progress(self, step: int, total: int, image: Image.Image) -> None:
        if self._first is None:
            self._first = image.copy()
        if not self.is_cancelled():
            self.preview.emit(to_qimage(image), step, total)

    def work(self) -> Decoded:
        data = self._path.read_bytes()
        layer = api.read_text(data)
        if self._options.get("renderer", "composite") != "composite":
            quick = api.decode(data, cancel=self.is_cancelled)
            self._first = quick
            self.preview.emit(to_qimage(quick), 0, self._options.get("steps") or 0)
        render = api.decode(data, progress=self._progress, cancel=self.is_cancelled,
                            **self._options)
        return Decoded(self._path, self._first or render, render, layer)


class Job(QObject):
    """A worker moved to its own QThread; `stop()` cancels and waits for it.

    The job lives on the UI thread and re-emits the worker's outcome there, so plain Python
    callables (lambdas) connected to `finished`/`failed`/`cancelled` run on the UI thread.
    """

    finished = Signal(object)
    failed = Signal(str, str)
    cancelled = Signal()
    done = Signal(object)  # the Job, once its thread has finished

    def __init__(self, worker: Worker, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.worker = worker
        self.thread = QThread()
        worker.moveToThread(self.thread)
        self.thread.started.connect(worker.run)
        worker.finished.connect(self.finished)
        worker.failed.connect(self.failed)
        worker.cancelled.connect(self.cancelled)
        for signal in (worker.finished, worker.failed, worker.cancelled):
            signal.connect(self.thread.quit)
        self.thread.finished.connect(self._on_thread_finished)

    def start(self) -> Job:
        self.thread.start()
        return self

    def stop(self, timeout_ms: int = 30_000) -> bool:
        """Cancel, quit and wait; True when the thread has ended."""
        self.worker.cancel()
        self.thread.quit()
        return self.thread.wait(timeout_ms)

    def _on_thread_finished(self) -> None:
        self.thread.wait()
        self.done.emit(self)


class JobPool(QObject):
    """Keeps running jobs alive and stops them all on shutdown."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._jobs: set[Job] = set()

    def start(self, worker: Worker) -> Job:
        job = Job(worker)
        self._jobs.add(job)
        job.done.connect(self._forget)
        return job.start()

    def running(self) -> int:
        return len(self._jobs)

    def _forget(self, job: Job) -> None:
        self._jobs.discard(job)

    def stop_all(self, timeout_ms: int = 30_000) -> bool:
        """Cancel every job and wait for its thread; True when all have ended. A job whose
        thread is still running after `timeout_ms` stays referenced (destroying a running
        QThread aborts the process); it is forgotten once it ends."""
        for job in list(self._jobs):
            if job.stop(timeout_ms):
                self._jobs.discard(job)
        return not self._jobs

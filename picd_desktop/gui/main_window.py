"""The main window: viewer and archive tabs, menus, status bar; it wires workers to views.

All long work runs in workers (gui/workers.py); the slots here only start jobs and hand
their results to the views. Observable signals (`decoded`, `verified`, ...) report what
happened, for tests and scripts.
"""

from __future__ import annotations

import io
import time
from pathlib import Path

from PIL import Image
from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDesktopServices,
    QDragEnterEvent,
    QDropEvent,
    QGuiApplication,
    QIcon,
    QImage,
    QKeySequence,
)
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTabWidget,
    QWidget,
)

from picd_desktop import api
from picd_desktop.app import capture
from picd_desktop.app import settings as settings_store
from picd_desktop.app.index import Index, hit_boxes
from picd_desktop.app.library import Added, Library
from picd_desktop.app.settings import Settings
from picd_desktop.fsutil import write_atomic
from picd_desktop.gui.archive_view import ArchiveView, human_bytes
from picd_desktop.gui.overlay import Overlay, summary
from picd_desktop.gui.region_selector import RegionSelector
from picd_desktop.gui.viewer import PREVIEW, RENDER, ImageViewer
from picd_desktop.gui.workers import (
    CallWorker,
    Decoded,
    DecodeWorker,
    EncodeWorker,
    JobPool,
    Worker,
    to_qimage,
)
from picd_desktop.imageio import load_image
from picd_desktop.verify import VerifyReport, verify_image

IMAGE_FILTER = "Images and PICD files (*.picd *.png *.jpg *.jpeg *.webp *.bmp);;All files (*)"
PICD_MAGIC = b"\x89PICD"
STAGES = {"ocr": "Reading text (OCR)", "base": "Coding the base layer", "write": "Writing"}


def is_picd_file(path: Path) -> bool:
    """By magic bytes, so a renamed file still opens the right way."""
    try:
        with open(path, "rb") as f:
            return f.read(len(PICD_MAGIC)) == PICD_MAGIC
    except OSError:
        return path.suffix.lower() == ".picd"


def load_archive(folder: Path, db_path: Path) -> tuple[list, dict[Path, QImage], object]:
    """Sync the index and read every thumbnail (worker side)."""
    index = Index(folder, db_path)
    try:
        report = index.sync()
        entries = index.entries()
    finally:
        index.close()
    library = Library(folder)
    thumbs = {}
    for entry in entries:
        thumb = library.thumbnail(entry.path)
        if thumb is not None:
            thumbs[entry.path] = to_qimage(thumb)
    return entries, thumbs, report


def png_bytes(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return buf.getvalue()


class MainWindow(QMainWindow):
    """PICD Desktop's one window."""

    previewed = Signal(int, int)  # step, total
    decoded = Signal(object)  # Decoded
    verified = Signal(object)  # VerifyReport
    encoded = Signal(object)  # Added
    archive_loaded = Signal(int)  # entries
    exported = Signal(Path)
    error_shown = Signal(str, str)  # title, message
    device_known = Signal(str)

    def __init__(self, settings: Settings | None = None, settings_path: Path | None = None,
                 icon: QIcon | None = None) -> None:
        super().__init__()
        self.settings_path = settings_path
        self.settings = settings or settings_store.load(settings_path)
        self.pool = JobPool(self)
        self.library = Library(self.settings.archive_path)
        self.index = Index(self.library.folder)
        self.current: Path | None = None
        self.result: Decoded | None = None
        self.source_image: Image.Image | None = None
        self.report: VerifyReport | None = None
        self.query = ""
        self.device = "…"
        self.last_error: tuple[str, str] | None = None
        self._decode: Worker | None = None
        self._encode: Worker | None = None
        self._selector: RegionSelector | None = None
        self._dialogs: list[QWidget] = []
        self._t0 = 0.0
        self.setWindowTitle("PICD Desktop")
        if icon is not None:
            self.setWindowIcon(icon)
        self.resize(1200, 800)
        self.setAcceptDrops(True)
        self._build_views()
        self._build_status()
        self._build_menus()
        self._update_actions()

    # construction -------------------------------------------------------------------------
    def _build_views(self) -> None:
        self.viewer = ImageViewer()
        self.overlay = Overlay(self.viewer.image_item, self.copy_word)
        self.archive = ArchiveView()
        self.archive.open_requested.connect(self.open_path)
        self.archive.export_requested.connect(self._export_entry_dialog)
        self.archive.copy_requested.connect(self.copy_entry_image)
        self.archive.reveal_requested.connect(self.reveal)
        self.archive.delete_requested.connect(self.delete_entry)
        self.archive.search_changed.connect(self.search)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.viewer, "Viewer")
        self.tabs.addTab(self.archive, "Archive")
        self.setCentralWidget(self.tabs)

    def _build_status(self) -> None:
        bar = self.statusBar()
        self.status = QLabel("Ready")
        self.progress = QProgressBar(maximumWidth=220, textVisible=True)
        self.progress.hide()
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        self.cancel_button.hide()
        self.verify_label = QLabel()
        self.device_label = QLabel("Device: …")
        bar.addWidget(self.status, 1)
        bar.addPermanentWidget(self.verify_label)
        bar.addPermanentWidget(self.progress)
        bar.addPermanentWidget(self.cancel_button)
        bar.addPermanentWidget(self.device_label)

    def _action(self, menu, text: str, slot, shortcut=None, checkable: bool = False) -> QAction:
        action = QAction(text, self, checkable=checkable)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        f = bar.addMenu("&File")
        self._action(f, "&Open…", self.open_dialog, QKeySequence.StandardKey.Open)
        f.addSeparator()
        self._action(f, "Capture &region", self.capture_region, "Ctrl+Shift+R")
        self._action(f, "Capture &full screen", self.capture_full, "Ctrl+Shift+F")
        self.monitor_menu = f.addMenu("Capture &monitor")
        self.monitor_menu.aboutToShow.connect(self._fill_monitors)
        f.addSeparator()
        self.act_archive = self._action(f, "Compress to &archive", self.encode_current, "Ctrl+S")
        self.act_save_as = self._action(f, "Save .picd &as…", self.save_picd_dialog,
                                        "Ctrl+Shift+S")
        self.act_export = self._action(f, "&Export PNG…", self.export_dialog, "Ctrl+E")
        f.addSeparator()
        self._action(f, "&Settings…", self.settings_dialog, QKeySequence.StandardKey.Preferences)
        self._action(f, "&Quit", self.close, QKeySequence.StandardKey.Quit)
        e = bar.addMenu("&Edit")
        self.act_copy_image = self._action(e, "Copy &image", self.copy_image, "Ctrl+Shift+C")
        self.act_copy_text = self._action(e, "Copy all &text", self.copy_text, "Ctrl+Shift+T")
        v = bar.addMenu("&View")
        self._action(v, "Zoom &in", self.viewer.zoom_in, QKeySequence.StandardKey.ZoomIn)
        self._action(v, "Zoom &out", self.viewer.zoom_out, QKeySequence.StandardKey.ZoomOut)
        self._action(v, "&Fit", self.viewer.fit, "Ctrl+0")
        self._action(v, "&Actual size", self.viewer.actual_size, "Ctrl+1")
        v.addSeparator()
        self.act_preview = self._action(v, "Show quick &preview", self._toggle_preview, "P",
                                        checkable=True)
        self.act_overlay = self._action(v, "Show &verification overlay", self.overlay.set_visible,
                                        "V", checkable=True)
        self.act_overlay.setChecked(True)
        self.act_verify = self._action(v, "&Verify text again", self.verify, "Ctrl+R")
        self.act_archive_tab = self._action(v, "Archi&ve", self.show_archive, "Ctrl+2")

    def _update_actions(self) -> None:
        has_image = self.source_image is not None or self.result is not None
        self.act_archive.setEnabled(self.source_image is not None and self._encode is None)
        self.act_save_as.setEnabled(self.source_image is not None and self._encode is None)
        self.act_export.setEnabled(has_image)
        self.act_copy_image.setEnabled(has_image)
        self.act_copy_text.setEnabled(self.result is not None)
        self.act_verify.setEnabled(self.result is not None)
        self.act_preview.setEnabled(self.result is not None)

    # startup ------------------------------------------------------------------------------
    def start(self) -> None:
        """Background start-up work: device probe and archive listing."""
        probe = CallWorker(lambda: settings_store.device_label(self.settings.device))
        self._run(probe, self._on_device, lambda *_: self._on_device("CPU"))
        self.refresh_archive()

    def _on_device(self, label: str) -> None:
        self.device = label
        self.device_label.setText(f"Device: {label}")
        self.device_known.emit(label)

    # errors and status --------------------------------------------------------------------
    def show_error(self, title: str, message: str) -> None:
        """A non-blocking warning dialog (tests watch `error_shown` / `last_error`)."""
        self.last_error = (title, message)
        self._set_busy(False)
        self.status.setText(title)
        box = QMessageBox(QMessageBox.Icon.Warning, title, message,
                          QMessageBox.StandardButton.Ok, self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        self.error_box = box
        self.error_shown.emit(title, message)

    def _fail(self, exc: BaseException) -> None:
        from picd_desktop.gui.errors import describe

        self.show_error(*describe(exc))

    def _set_busy(self, busy: bool, text: str = "", cancellable: bool = False) -> None:
        if text:
            self.status.setText(text)
        self.progress.setVisible(busy)
        self.cancel_button.setVisible(busy and cancellable)
        if busy:
            self.progress.setRange(0, 0)

    def _run(self, worker: Worker, on_done, on_fail=None) -> Worker:
        """Start `worker`; the callbacks run on the UI thread (through its Job)."""
        job = self.pool.start(worker)
        job.finished.connect(on_done)
        job.failed.connect(on_fail or self.show_error)
        return worker

    # opening ------------------------------------------------------------------------------
    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open", str(self.library.folder),
                                              IMAGE_FILTER)
        if path:
            self.open_path(Path(path))

    def open_path(self, path: Path | str) -> None:
        """Open a `.picd` (decode) or an image (ready to compress)."""
        path = Path(path)
        if not path.is_file():
            self.show_error("Cannot open file", f"{path} does not exist or is not a file.")
            return
        self.tabs.setCurrentWidget(self.viewer)
        if is_picd_file(path):
            self.decode(path)
        else:
            self._set_busy(True, f"Opening {path.name}…")
            self._run(CallWorker(lambda: load_image(path)), self.show_source)

    def show_source(self, image: Image.Image) -> None:
        """Show an image that is not compressed yet."""
        self._reset_view()
        self.source_image = image
        self.viewer.set_image(to_qimage(image), RENDER, fit=True)
        self._set_busy(False, f"{image.width}×{image.height} image — File ▸ Compress to "
                       "archive (Ctrl+S) to compress it")
        self._update_actions()

    def _reset_view(self) -> None:
        self.cancel()
        self.overlay.clear()
        self.viewer.clear()
        self.result = self.report = self.source_image = None
        self.current = None
        self.verify_label.clear()
        self.act_preview.setChecked(False)
        self.viewer.kind = RENDER

    # decoding -----------------------------------------------------------------------------
    def decode(self, path: Path) -> None:
        self._reset_view()
        self.current = path
        self.setWindowTitle(f"{path.name} — PICD Desktop")
        s = self.settings
        worker = DecodeWorker(path, s.renderer, s.device, s.steps)
        worker.preview.connect(self._on_preview)
        worker.cancelled.connect(self._on_decode_cancelled)
        self._t0 = time.perf_counter()
        self._decode = self._run(worker, self._on_decoded, self._on_decode_failed)
        self._set_busy(True, f"Decoding {path.name} on {self.device}…", cancellable=True)

    def _on_preview(self, image: QImage, step: int, total: int) -> None:
        self.viewer.set_image(image, PREVIEW if step == 0 else RENDER)
        if total:
            self.progress.setRange(0, total)
            self.progress.setValue(step)
            self.progress.setFormat(f"step {step} of {total}")
        self.status.setText(f"Rendering step {step} of {total} on {self.device}")
        self.previewed.emit(step, total)

    def _on_decoded(self, result: Decoded) -> None:
        self._decode = None
        self.result = result
        self.viewer.set_image(to_qimage(result.preview), PREVIEW)
        self.viewer.set_image(to_qimage(result.render), RENDER)
        seconds = time.perf_counter() - self._t0
        self._set_busy(False, f"{result.path.name}: {result.render.width}×"
                       f"{result.render.height}, {human_bytes(result.path.stat().st_size)}, "
                       f"decoded in {seconds:.2f} s on {self.device}")
        if self.query:
            self.overlay.show_hits(hit_boxes(result.layer, self.query))
        self._update_actions()
        self.decoded.emit(result)
        self.verify()

    def _on_decode_failed(self, title: str, message: str) -> None:
        self._decode = None
        self.show_error(title, message)

    def _on_decode_cancelled(self) -> None:
        self._decode = None
        self._set_busy(False, "Decoding cancelled")

    def cancel(self) -> None:
        """Cancel the running decode (and encode)."""
        for worker in (self._decode, self._encode):
            if worker is not None:
                worker.cancel()

    def _toggle_preview(self, checked: bool) -> None:
        self.viewer.show_kind(PREVIEW if checked else RENDER)

    # verification -------------------------------------------------------------------------
    def verify(self) -> None:
        """Re-OCR the render and mark every word of the text layer (in a worker)."""
        if self.result is None:
            return
        result = self.result
        self.verify_label.setText("Verifying text…")
        worker = CallWorker(lambda: verify_image(result.render, result.layer))
        self._run(worker, lambda report: self._on_verified(result, report),
                  self._on_verify_failed)

    def _on_verified(self, result: Decoded, report: VerifyReport) -> None:
        if result is not self.result:
            return  # another file was opened meanwhile
        self.report = report
        self.overlay.show_report(report)
        self.overlay.set_visible(self.act_overlay.isChecked())
        self.verify_label.setText(summary(report))
        self.verified.emit(report)

    def _on_verify_failed(self, title: str, message: str) -> None:
        self.verify_label.setText("Verification unavailable")
        self.show_error(title, message)

    # capture and encoding -----------------------------------------------------------------
    def _fill_monitors(self) -> None:
        self.monitor_menu.clear()
        try:
            found = capture.monitors()[1:]
        except capture.CaptureError as exc:
            self.monitor_menu.addAction(str(exc)).setEnabled(False)
            return
        for m in found:
            self.monitor_menu.addAction(f"Monitor {m.index} ({m.width}×{m.height})",
                                        lambda i=m.index: self.capture_monitor(i))

    def _after_delay(self, fn) -> None:
        from PySide6.QtCore import QTimer

        delay = self.settings.capture_delay_s
        if delay:
            self.status.setText(f"Capturing in {delay} s…")
            self.hide()
        QTimer.singleShot(delay * 1000 + (150 if delay else 0), fn)

    def capture_full(self) -> None:
        self.capture_monitor(0)

    def capture_monitor(self, index: int) -> None:
        """Grab a monitor (0: all) and compress it into the archive."""
        def grab() -> None:
            try:
                image = capture.grab_monitor(index)
            except capture.CaptureError as exc:
                self.show()
                self._fail(exc)
                return
            self.show()
            self.show_source(image)
            self.encode_current()

        self._after_delay(grab)

    def capture_region(self) -> None:
        """Freeze the screen, let the user drag a region, compress it into the archive."""
        def grab() -> None:
            was_visible = self.isVisible()
            self.hide()
            try:
                image = capture.grab_full()
            except capture.CaptureError as exc:
                self.show()
                self._fail(exc)
                return
            self.open_region_selector(image, restore=was_visible)

        self._after_delay(grab)

    def open_region_selector(self, image: Image.Image, restore: bool = True) -> RegionSelector:
        selector = RegionSelector(to_qimage(image))
        self._selector = selector

        def done(rect) -> None:
            if restore:
                self.show()
            self.show_source(capture.crop_region(
                image, (rect.x(), rect.y(), rect.x() + rect.width(), rect.y() + rect.height())))
            self.encode_current()

        selector.selected.connect(done)
        selector.cancelled.connect(lambda: self.show() if restore else None)
        selector.start()
        return selector

    def encode_current(self) -> None:
        """Compress the shown image into the archive, then open the result."""
        if self.source_image is None or self._encode is not None:
            return
        s = self.settings
        worker = EncodeWorker(self.library, self.source_image, s.quality, s.langs)
        worker.stage.connect(self._on_stage)
        worker.cancelled.connect(self._on_encode_cancelled)
        self._t0 = time.perf_counter()
        self._encode = self._run(worker, self._on_encoded, self._on_encode_failed)
        self._set_busy(True, "Compressing…", cancellable=True)
        self._update_actions()

    def _on_stage(self, name: str, done: int, total: int) -> None:
        self.progress.setRange(0, total)
        self.progress.setValue(done)
        self.progress.setFormat(STAGES.get(name, name))
        self.status.setText(f"{STAGES.get(name, name)}…")

    def _on_encoded(self, added: Added) -> None:
        self._encode = None
        seconds = time.perf_counter() - self._t0
        ratio = added.png_bytes / max(1, added.file_bytes)
        self.encoded.emit(added)
        self.refresh_archive()
        self.decode(added.path)
        self.status.setText(f"Saved {added.path.name}: {human_bytes(added.file_bytes)} "
                            f"(PNG {human_bytes(added.png_bytes)}, {ratio:.0f}× smaller) "
                            f"in {seconds:.1f} s")

    def _on_encode_failed(self, title: str, message: str) -> None:
        self._encode = None
        self._update_actions()
        self.show_error(title, message)

    def _on_encode_cancelled(self) -> None:
        self._encode = None
        self._update_actions()
        self._set_busy(False, "Compression cancelled")

    def save_picd_dialog(self) -> None:
        if self.source_image is None:
            return
        path, _ = QFileDialog.getSaveFileName(self, "Save .picd", "capture.picd",
                                              "PICD files (*.picd)")
        if path:  # the dialog has asked before replacing an existing file
            self.save_picd(Path(path), overwrite=True)

    def save_picd(self, target: Path, overwrite: bool = False) -> None:
        image, s = self.source_image, self.settings

        def work() -> Path:
            write_atomic(target, api.encode(image, quality=s.quality, lang=s.langs),
                         overwrite=overwrite)
            return target

        self._set_busy(True, f"Compressing to {target.name}…")
        self._run(CallWorker(work), lambda p: (self._set_busy(False, f"Saved {p}"),
                                               self.exported.emit(p)))

    # export and clipboard -----------------------------------------------------------------
    def shown_image(self) -> Image.Image | None:
        if self.result is not None:
            return self.result.preview if self.viewer.kind == PREVIEW else self.result.render
        return self.source_image

    def export_dialog(self) -> None:
        image = self.shown_image()
        if image is None:
            return
        stem = self.current.stem if self.current else "capture"
        path, _ = QFileDialog.getSaveFileName(self, "Export PNG", f"{stem}.png", "PNG (*.png)")
        if path:
            self.export_png(Path(path), overwrite=True)

    def export_png(self, target: Path, overwrite: bool = False,
                   source: Path | None = None) -> None:
        """Write the shown image (or `source` decoded) as PNG, atomically, in a worker."""
        image = self.shown_image() if source is None else None

        def work() -> Path:
            pixels = image if image is not None else api.decode(source)
            write_atomic(target, png_bytes(pixels), overwrite=overwrite)
            return target

        self._set_busy(True, f"Exporting {target.name}…")
        self._run(CallWorker(work), self._on_exported)

    def _on_exported(self, path: Path) -> None:
        self._set_busy(False, f"Exported {path}")
        self.exported.emit(path)

    def _export_entry_dialog(self, source: Path) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export PNG", f"{source.stem}.png",
                                              "PNG (*.png)")
        if path:
            self.export_png(Path(path), overwrite=True, source=source)

    def copy_image(self) -> None:
        image = self.viewer.image()
        if image is not None:
            QGuiApplication.clipboard().setImage(image)
            self.status.setText("Image copied")

    def copy_entry_image(self, source: Path) -> None:
        self._set_busy(True, f"Decoding {source.name}…")
        self._run(CallWorker(lambda: to_qimage(api.decode(source))), self._on_entry_copied)

    def _on_entry_copied(self, image: QImage) -> None:
        QGuiApplication.clipboard().setImage(image)
        self._set_busy(False, "Image copied")

    def copy_text(self) -> None:
        if self.result is not None:
            QGuiApplication.clipboard().setText(self.result.layer.text)
            self.status.setText(f"Copied {self.result.layer.word_count} words")

    def copy_word(self, word: str) -> None:
        QGuiApplication.clipboard().setText(word)
        self.status.setText(f"Copied “{word}”")

    # archive ------------------------------------------------------------------------------
    def show_archive(self) -> None:
        self.tabs.setCurrentWidget(self.archive)

    def refresh_archive(self) -> None:
        """Re-sync the index and the grid from the folder (in a worker)."""
        folder, db = self.library.folder, self.index.db_path
        self._run(CallWorker(lambda: load_archive(folder, db)), self._on_archive)

    def _on_archive(self, loaded: tuple) -> None:
        entries, thumbs, _report = loaded
        self.archive.set_entries(entries, thumbs)
        self.search(self.archive.search_box.text())
        self.archive_loaded.emit(len(entries))

    def search(self, query: str) -> None:
        """Filter the grid to captures whose text matches (FTS5; milliseconds)."""
        self.query = query.strip()
        if not self.query:
            self.archive.set_filter(None)
            return
        hits = self.index.search(self.query)
        self.archive.set_filter({h.entry.path: h.snippet for h in hits})

    def delete_entry(self, path: Path) -> None:
        try:
            self.library.delete(path)
        except Exception as exc:  # noqa: BLE001 (shown as a dialog)
            self._fail(exc)
            return
        self.status.setText(f"Moved {path.name} to the trash")
        self.refresh_archive()

    def reveal(self, path: Path) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(Path(path).parent)))

    # settings -----------------------------------------------------------------------------
    def settings_dialog(self) -> None:
        from picd_desktop.gui.settings_dialog import SettingsDialog

        dialog = SettingsDialog(self.settings, api.available_renderers(), self)
        dialog.accepted.connect(lambda: self.apply_settings(dialog.result_settings()))
        self._dialogs = [dialog]
        dialog.open()

    def apply_settings(self, new: Settings) -> None:
        """Use and persist new settings (a new archive folder re-lists the archive)."""
        try:
            settings_store.save(new, self.settings_path)
        except Exception as exc:  # noqa: BLE001 (shown as a dialog)
            self._fail(exc)
        folder_changed = new.archive_path != self.library.folder
        self.settings = new
        if folder_changed:
            self.library = Library(new.archive_path)
            self.index.close()
            self.index = Index(self.library.folder)
            self.refresh_archive()

    # window events ------------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        for url in event.mimeData().urls():
            if url.isLocalFile():
                self.open_path(Path(url.toLocalFile()))
                event.acceptProposedAction()
                return

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        """Stop every worker cleanly (cancel, quit, wait) before the window goes."""
        self.pool.stop_all()
        self.index.close()
        super().closeEvent(event)

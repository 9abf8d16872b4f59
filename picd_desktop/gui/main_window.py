"""The main window: viewer and archive tabs, menus, status bar, wired to four controllers.

Capture, encode, decode and archive work lives in controllers (gui/*_controller.py) that run
workers and report through signals; the window shows what they report. Observable signals
(`decoded`, `verified`, ...) tell tests and scripts what happened.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image
from PySide6.QtCore import Signal
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent, QGuiApplication, QIcon, QImage
from PySide6.QtWidgets import QFileDialog, QMainWindow, QTabWidget, QWidget

from picd_desktop import api
from picd_desktop.app import settings as settings_store
from picd_desktop.app.encoder import EncoderProcess
from picd_desktop.app.index import hit_boxes
from picd_desktop.app.library import Added, Library
from picd_desktop.app.settings import Settings
from picd_desktop.gui.archive_controller import ArchiveController
from picd_desktop.gui.archive_view import ArchiveView, human_bytes
from picd_desktop.gui.capture_controller import CaptureController
from picd_desktop.gui.decode_controller import DecodeController
from picd_desktop.gui.encode_controller import EncodeController
from picd_desktop.gui.menus import build_menus
from picd_desktop.gui.overlay import Overlay, summary
from picd_desktop.gui.status import StatusBar
from picd_desktop.gui.viewer import PREVIEW, RENDER, ImageViewer
from picd_desktop.gui.workers import CallWorker, Decoded, JobPool, to_qimage
from picd_desktop.imageio import load_image
from picd_desktop.verify import VerifyReport

IMAGE_FILTER = "Images and PICD files (*.picd *.png *.jpg *.jpeg *.webp *.bmp);;All files (*)"
PICD_MAGIC = b"\x89PICD"


def is_picd_file(path: Path) -> bool:
    """By magic bytes, so a renamed file still opens the right way."""
    try:
        with open(path, "rb") as f:
            return f.read(len(PICD_MAGIC)) == PICD_MAGIC
    except OSError:
        return path.suffix.lower() == ".picd"


class MainWindow(QMainWindow):
    """PICD Desktop's one window."""

    previewed = Signal(int, int)  # step, total
    decoded = Signal(object)  # Decoded
    verified = Signal(object)  # VerifyReport
    encoded = Signal(object)  # Added
    archive_loaded = Signal(int)  # entries
    searched = Signal(str)  # the query whose results are shown
    exported = Signal(Path)
    error_shown = Signal(str, str)  # title, message
    device_known = Signal(str)

    def __init__(self, settings: Settings | None = None, settings_path: Path | None = None,
                 icon: QIcon | None = None, encoder: EncoderProcess | None = None) -> None:
        super().__init__()
        self.settings_path = settings_path
        self.settings = settings or settings_store.load(settings_path)
        self.pool = JobPool(self)
        self.captures = CaptureController(self.pool, self)
        self.encoding = EncodeController(self.pool, encoder, self)
        self.decoding = DecodeController(self.pool, self)
        self.archiving = ArchiveController(self.pool, Library(self.settings.archive_path), self)
        self.current: Path | None = None
        self.result: Decoded | None = None
        self.source_image: Image.Image | None = None
        self.report: VerifyReport | None = None
        self.device = "…"
        self.last_error: tuple[str, str] | None = None
        self._dialogs: list[QWidget] = []
        self.setWindowTitle("PICD Desktop")
        if icon is not None:
            self.setWindowIcon(icon)
        self.resize(1200, 800)
        self.setAcceptDrops(True)
        self._build_views()
        self.status_bar = StatusBar(self.statusBar(), self.cancel)
        self.status, self.progress = self.status_bar.text, self.status_bar.progress
        self.cancel_button = self.status_bar.cancel_button
        self.verify_label, self.device_label = self.status_bar.verify, self.status_bar.device
        build_menus(self)
        self._wire()
        self._update_actions()

    # construction -------------------------------------------------------------------------
    def _build_views(self) -> None:
        self.viewer = ImageViewer()
        self.overlay = Overlay(self.viewer.image_item, self.copy_word)
        self.archive = ArchiveView()
        self.tabs = QTabWidget()
        self.tabs.addTab(self.viewer, "Viewer")
        self.tabs.addTab(self.archive, "Archive")
        self.setCentralWidget(self.tabs)

    def _wire(self) -> None:
        for controller in (self.captures, self.encoding, self.decoding, self.archiving):
            controller.busy.connect(self.status_bar.busy)
            controller.progress.connect(self.status_bar.set_progress)
            controller.idle.connect(self.status_bar.idle)
            controller.failed.connect(self.show_error)
        c = self.captures
        c.hide_requested.connect(self._hide_for_capture)
        c.show_requested.connect(self._show_after_capture)
        c.captured.connect(self._on_captured)
        e = self.encoding
        e.encoded.connect(self._on_encoded)
        e.saved.connect(self.exported)
        e.running_changed.connect(lambda _: self._update_actions())
        d = self.decoding
        d.previewed.connect(self._on_preview)
        d.decoded.connect(self._on_decoded)
        d.verifying.connect(lambda: self.verify_label.setText("Verifying text…"))
        d.verified.connect(self._on_verified)
        d.verify_failed.connect(self._on_verify_failed)
        a = self.archiving
        a.loaded.connect(self._on_archive)
        a.searched.connect(self._on_searched)
        a.exported.connect(self.exported)
        a.copied.connect(lambda image: QGuiApplication.clipboard().setImage(image))
        v = self.archive
        v.open_requested.connect(self.open_path)
        v.export_requested.connect(self._export_entry_dialog)
        v.copy_requested.connect(a.copy_entry)
        v.reveal_requested.connect(a.reveal)
        v.delete_requested.connect(a.delete)
        v.search_changed.connect(a.search)

    @property
    def library(self) -> Library:
        return self.archiving.library

    @property
    def index(self):
        return self.archiving.index

    @property
    def query(self) -> str:
        return self.archiving.query

    def _update_actions(self) -> None:
        has_image = self.source_image is not None or self.result is not None
        can_encode = self.source_image is not None and not self.encoding.running
        self.act_archive.setEnabled(can_encode)
        self.act_save_as.setEnabled(can_encode)
        self.act_export.setEnabled(has_image)
        self.act_copy_image.setEnabled(has_image)
        self.act_copy_text.setEnabled(self.result is not None)
        self.act_verify.setEnabled(self.result is not None)
        self.act_preview.setEnabled(self.result is not None)

    # startup ------------------------------------------------------------------------------
    def start(self) -> None:
        """Background start-up work: device probe, archive listing, encoder child warm-up."""
        probe = CallWorker(lambda: settings_store.device_label(self.settings.device))
        self.archiving.run(probe, self._on_device, lambda *_: self._on_device("CPU"))
        self.refresh_archive()
        self.encoding.warm()

    def _on_device(self, label: str) -> None:
        self.device = label
        self.device_label.setText(f"Device: {label}")
        self.device_known.emit(label)

    # errors -------------------------------------------------------------------------------
    def show_error(self, title: str, message: str) -> None:
        """A non-blocking warning dialog (tests watch `error_shown` / `last_error`)."""
        self.last_error = (title, message)
        self.error_box = self.status_bar.show_error(self, title, message)
        self.error_shown.emit(title, message)

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
            self.status_bar.busy(f"Opening {path.name}…", False)
            self.archiving.run(CallWorker(lambda: load_image(path)), self.show_source,
                               self.show_error)

    def show_source(self, image: Image.Image) -> None:
        """Show an image that is not compressed yet."""
        self._reset_view()
        self.source_image = image
        self.viewer.set_image(to_qimage(image), RENDER, fit=True)
        self.status_bar.idle(f"{image.width}×{image.height} image — File ▸ Compress to "
                             "archive (Ctrl+S) to compress it")
        self._update_actions()

    def _reset_view(self) -> None:
        self.decoding.cancel()
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
        self.decoding.decode(path, self.settings, self.device)

    def _on_preview(self, image: QImage, step: int, total: int) -> None:
        self.viewer.set_image(image, PREVIEW if step == 0 else RENDER)
        self.status.setText(f"Rendering step {step} of {total} on {self.device}")
        self.previewed.emit(step, total)

    def _on_decoded(self, result: Decoded) -> None:
        self.result = result
        self.viewer.set_image(to_qimage(result.preview), PREVIEW)
        self.viewer.set_image(to_qimage(result.render), RENDER)
        self.status_bar.idle(
            f"{result.path.name}: {result.render.width}×{result.render.height}, "
            f"{human_bytes(result.path.stat().st_size)}, decoded in "
            f"{self.decoding.seconds:.2f} s on {self.device}")
        if self.query:
            self.overlay.show_hits(hit_boxes(result.layer, self.query))
        self._update_actions()
        self.decoded.emit(result)
        self.verify()

    def cancel(self) -> None:
        """Cancel the running decode and encode."""
        self.decoding.cancel()
        self.encoding.cancel()

    def toggle_preview(self, checked: bool) -> None:
        self.viewer.show_kind(PREVIEW if checked else RENDER)

    def verify(self) -> None:
        """Re-OCR the render and mark every word of the text layer (in a worker)."""
        if self.result is not None:
            self.decoding.verify(self.result)

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
    def capture_full(self) -> None:
        self.capture_monitor(0)

    def capture_monitor(self, index: int) -> None:
        """Grab a monitor (0: all) and compress it into the archive."""
        self.captures.capture_monitor(index, self.settings.capture_delay_s)

    def capture_region(self) -> None:
        """Freeze the screen, let the user drag a region, compress it into the archive."""
        self.captures.capture_region(self.settings.capture_delay_s)

    def _hide_for_capture(self) -> None:
        self._visible_before_capture = self.isVisible()
        self.hide()

    def _show_after_capture(self) -> None:
        if getattr(self, "_visible_before_capture", True):
            self.show()

    def _on_captured(self, image: Image.Image) -> None:
        self.show_source(image)
        self.encode_current()

    def encode_current(self) -> None:
        """Compress the shown image into the archive, then open the result."""
        if self.source_image is not None:
            self.encoding.encode(self.source_image, self.library, self.settings)

    def _on_encoded(self, added: Added) -> None:
        ratio = added.png_bytes / max(1, added.file_bytes)
        self.encoded.emit(added)
        self.refresh_archive()
        self.decode(added.path)
        self.status.setText(f"Saved {added.path.name}: {human_bytes(added.file_bytes)} "
                            f"(PNG {human_bytes(added.png_bytes)}, {ratio:.0f}× smaller) "
                            f"in {self.encoding.seconds:.1f} s")

    def save_picd_dialog(self) -> None:
        if self.source_image is None:
            return
        path, _ = QFileDialog.getSaveFileName(self, "Save .picd", "capture.picd",
                                              "PICD files (*.picd)")
        if path:  # the dialog has asked before replacing an existing file
            self.save_picd(Path(path), overwrite=True)

    def save_picd(self, target: Path, overwrite: bool = False) -> None:
        if self.source_image is not None:
            self.encoding.save_as(self.source_image, target, self.settings, overwrite)

    # export and clipboard -----------------------------------------------------------------
    def shown_image(self) -> Image.Image | None:
        if self.result is not None:
            return self.result.preview if self.viewer.kind == PREVIEW else self.result.render
        return self.source_image

    def export_dialog(self) -> None:
        if self.shown_image() is None:
            return
        stem = self.current.stem if self.current else "capture"
        path, _ = QFileDialog.getSaveFileName(self, "Export PNG", f"{stem}.png", "PNG (*.png)")
        if path:
            self.export_png(Path(path), overwrite=True)

    def export_png(self, target: Path, overwrite: bool = False) -> None:
        """Write the shown image as PNG, atomically, in a worker."""
        self.archiving.export(target, image=self.shown_image(), overwrite=overwrite)

    def _export_entry_dialog(self, source: Path) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export PNG", f"{source.stem}.png",
                                              "PNG (*.png)")
        if path:
            self.archiving.export(Path(path), source=source, overwrite=True)

    def copy_image(self) -> None:
        image = self.viewer.image()
        if image is not None:
            QGuiApplication.clipboard().setImage(image)
            self.status.setText("Image copied")

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
        self.archiving.refresh()

    def _on_archive(self, entries: list, thumbs: dict) -> None:
        self.archive.set_entries(entries, thumbs)
        self.archive_loaded.emit(len(entries))

    def search(self, query: str) -> None:
        """Filter the grid to captures whose text matches (FTS5, off the UI thread)."""
        self.archiving.search(query)

    def _on_searched(self, query: str, snippets: dict | None) -> None:
        self.archive.set_filter(snippets)
        self.searched.emit(query)

    # settings -----------------------------------------------------------------------------
    def settings_dialog(self) -> None:
        from picd_desktop.gui.settings_dialog import SettingsDialog

        dialog = SettingsDialog(self.settings, api.available_renderers(), self,
                                base_codecs=api.base_codecs(),
                                default_base=api.default_base_codec())
        dialog.accepted.connect(lambda: self.apply_settings(dialog.result_settings()))
        self._dialogs = [dialog]
        dialog.open()

    def apply_settings(self, new: Settings) -> None:
        """Use and persist new settings (a new archive folder re-lists the archive)."""
        try:
            settings_store.save(new, self.settings_path)
        except Exception as exc:  # noqa: BLE001 (shown as a dialog)
            self.archiving.fail(exc)
        folder_changed = new.archive_path != self.library.folder
        self.settings = new
        if folder_changed:
            self.archiving.set_library(Library(new.archive_path))

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
        """Stop every worker cleanly (cancel, quit, wait) and the encoder child."""
        self.pool.stop_all()
        self.encoding.close()
        self.archiving.close()
        super().closeEvent(event)

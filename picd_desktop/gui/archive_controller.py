"""The archive: listing, search (off the UI thread), export, copy, trash, reveal."""

from __future__ import annotations

import io
import threading
from pathlib import Path

from PIL import Image
from PySide6.QtCore import QObject, QProcess, QThread, Signal, Slot
from PySide6.QtGui import QImage

from picd_desktop import api
from picd_desktop.app.index import Index, SearchHit
from picd_desktop.app.library import Library
from picd_desktop.app.reveal import reveal_command
from picd_desktop.fsutil import write_atomic
from picd_desktop.gui.controller import Controller
from picd_desktop.gui.workers import CallWorker, JobPool, to_qimage


def png_bytes(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return buf.getvalue()


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


class Searcher(QObject):
    """Runs FTS5 queries in the search thread, newest query first: older ones are skipped.

    One searcher lives as long as its controller: it is never deleted or replaced while its
    thread runs (deleting a QObject from another thread while its thread may be delivering
    an event to it crashes). Switching archives hands it the new index through a queued
    call (`use`), so the old index is closed in the search thread after the queries queued
    before the switch."""

    found = Signal(int, str, object)  # request number, query, hits

    def __init__(self, index: Index) -> None:
        super().__init__()
        self.index = index
        self._latest = 0
        self._lock = threading.Lock()

    def request(self) -> int:
        """A number for the next query (thread-safe)."""
        with self._lock:
            self._latest += 1
            return self._latest

    @Slot(object)
    def use(self, index: Index) -> None:
        """Query `index` from now on; the previous one is closed."""
        old, self.index = self.index, index
        if old is not index:
            old.close()

    @Slot(int, str)
    def search(self, number: int, query: str) -> None:
        if number != self._latest:
            return  # the user typed on: this query is stale
        hits: list[SearchHit] = self.index.search(query)
        self.found.emit(number, query, hits)


class ArchiveController(Controller):
    """Owns the library and its index; views get entries, thumbnails and search results."""

    loaded = Signal(object, object)  # entries, {path: thumbnail}
    searched = Signal(str, object)  # query, {path: snippet} or None (no filter)
    exported = Signal(Path)
    copied = Signal(QImage)
    deleted = Signal(Path)
    _query = Signal(int, str)
    _use_index = Signal(object)

    def __init__(self, pool: JobPool, library: Library, parent=None) -> None:
        super().__init__(pool, parent)
        self.library = library
        self.query = ""
        self._index = Index(library.folder)
        self._searcher = Searcher(self._index)
        self._thread = QThread(self)
        self._thread.setObjectName("picd-search")
        self._searcher.moveToThread(self._thread)
        self._query.connect(self._searcher.search)
        self._use_index.connect(self._searcher.use)
        self._searcher.found.connect(self._on_found)
        self._thread.start()

    @property
    def index(self) -> Index:
        """The index of the current archive folder (queried in the search thread)."""
        return self._index

    def set_library(self, library: Library) -> None:
        """Switch to another archive folder (re-lists it)."""
        self.library = library
        self._index = Index(library.folder)
        self._use_index.emit(self._index)  # queued: the searcher closes the old one
        self.refresh()

    def refresh(self) -> None:
        """Re-sync the index and the grid from the folder (in a worker)."""
        folder, db = self.library.folder, self.index.db_path
        self.run(CallWorker(lambda: load_archive(folder, db)), self._on_loaded)

    def _on_loaded(self, loaded: tuple) -> None:
        entries, thumbs, _report = loaded
        self.loaded.emit(entries, thumbs)
        self.search(self.query)

    def search(self, query: str) -> None:
        """Filter to captures whose text matches (FTS5 in the search thread)."""
        self.query = query.strip()
        number = self._searcher.request()
        if not self.query:
            self.searched.emit("", None)
            return
        self._query.emit(number, self.query)

    def _on_found(self, number: int, query: str, hits: list[SearchHit]) -> None:
        if query == self.query:
            self.searched.emit(query, {h.entry.path: h.snippet for h in hits})

    def delete(self, path: Path) -> None:
        try:
            self.library.delete(path)
        except Exception as exc:  # noqa: BLE001 (shown as a dialog)
            self.fail(exc)
            return
        self.idle.emit(f"Moved {path.name} to the trash")
        self.deleted.emit(path)
        self.refresh()

    def reveal(self, path: Path) -> list[str]:
        """Show `path` in the file manager (a detached process); returns the command."""
        command = reveal_command(path)
        if not QProcess.startDetached(command[0], command[1:]):
            self.failed.emit("Cannot show the folder",
                             f"Could not run {command[0]}.\n\nThe file is {path}.")
        return command

    def export(self, target: Path, image: Image.Image | None = None,
               source: Path | None = None, overwrite: bool = False) -> None:
        """Write `image` (or `source` decoded) as PNG, atomically, in a worker."""
        def work() -> Path:
            pixels = image if image is not None else api.decode(source)
            write_atomic(target, png_bytes(pixels), overwrite=overwrite)
            return target

        self.busy.emit(f"Exporting {target.name}…", False)
        self.run(CallWorker(work), self._on_exported)

    def _on_exported(self, path: Path) -> None:
        self.idle.emit(f"Exported {path}")
        self.exported.emit(path)

    def copy_entry(self, source: Path) -> None:
        """Decode an entry (in a worker) for the clipboard: `copied(image)`."""
        self.busy.emit(f"Decoding {source.name}…", False)
        self.run(CallWorker(lambda: to_qimage(api.decode(source))), self._on_copied)

    def _on_copied(self, image: QImage) -> None:
        self.idle.emit("Image copied")
        self.copied.emit(image)

    def close(self) -> None:
        """Stop the search thread (after the queries queued so far) and close the index."""
        self._thread.quit()
        self._thread.wait()
        self._searcher.index.close()  # the thread has ended: safe from here
        self._index.close()  # if a switch was still queued when the thread stopped

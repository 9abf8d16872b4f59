"""The archive grid: thumbnails (THUMB sections, no decoding), sort, search, space saved."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPoint, QSize, Qt, Signal
from PySide6.QtGui import QIcon, QImage, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QVBoxLayout,
    QWidget,
)

from picd_desktop.app.library import Entry

ICON = QSize(160, 100)
SORTS = {"Newest first": ("date", True), "Oldest first": ("date", False),
         "Largest first": ("size", True), "Smallest first": ("size", False)}
PATH_ROLE = Qt.ItemDataRole.UserRole


def human_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if abs(n) < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"


def totals_text(entries: list[Entry]) -> str:
    """'N captures · size · saved X vs PNG (k× smaller)'."""
    size = sum(e.file_bytes for e in entries)
    known = [e for e in entries if e.png_bytes]
    png = sum(e.png_bytes or 0 for e in known)
    text = f"{len(entries)} captures · {human_bytes(size)}"
    if known:
        saved = sum(e.saved_bytes for e in known)
        ratio = png / max(1, sum(e.file_bytes for e in known))
        text += f" · {human_bytes(saved)} saved vs PNG ({ratio:.0f}× smaller)"
    return text


class ArchiveView(QWidget):
    """Shows entries; every action is a signal carrying the entry's path."""

    open_requested = Signal(Path)
    export_requested = Signal(Path)
    copy_requested = Signal(Path)
    reveal_requested = Signal(Path)
    delete_requested = Signal(Path)
    search_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.search_box = QLineEdit(placeholderText="Search the text of all captures…")
        self.search_box.setClearButtonEnabled(True)
        self.search_box.textChanged.connect(self.search_changed)
        self.sort_box = QComboBox()
        self.sort_box.addItems(list(SORTS))
        self.sort_box.currentTextChanged.connect(lambda _: self._refill())
        self.totals = QLabel()
        self.grid = QListWidget()
        self.grid.setViewMode(QListWidget.ViewMode.IconMode)
        self.grid.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.grid.setMovement(QListWidget.Movement.Static)
        self.grid.setIconSize(ICON)
        self.grid.setGridSize(QSize(ICON.width() + 24, ICON.height() + 52))
        self.grid.setWordWrap(True)
        self.grid.setUniformItemSizes(True)
        self.grid.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.grid.customContextMenuRequested.connect(self._menu)
        self.grid.itemActivated.connect(lambda item: self.open_requested.emit(self._path(item)))
        top = QHBoxLayout()
        top.addWidget(self.search_box, 1)
        top.addWidget(self.sort_box)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.grid, 1)
        layout.addWidget(self.totals)
        self._entries: list[Entry] = []
        self._thumbs: dict[Path, QPixmap] = {}
        self._snippets: dict[Path, str] | None = None

    def set_entries(self, entries: list[Entry], thumbs: dict[Path, QImage]) -> None:
        """Replace the listing (thumbnails are QImages made off the UI thread)."""
        self._entries = list(entries)
        self._thumbs.update({p: QPixmap.fromImage(q) for p, q in thumbs.items()})
        self.totals.setText(totals_text(self._entries))
        self._refill()

    def set_filter(self, snippets: dict[Path, str] | None) -> None:
        """Show only search hits (path -> snippet), or everything with None."""
        self._snippets = snippets
        self._refill()

    def visible_paths(self) -> list[Path]:
        return [self._path(self.grid.item(i)) for i in range(self.grid.count())]

    def sort_key(self) -> tuple[str, bool]:
        return SORTS[self.sort_box.currentText()]

    def _refill(self) -> None:
        field, reverse = self.sort_key()
        entries = self._entries
        if self._snippets is not None:
            entries = [e for e in entries if e.path in self._snippets]
        key = (lambda e: e.created_ms) if field == "date" else (lambda e: e.file_bytes)
        self.grid.clear()
        for entry in sorted(entries, key=key, reverse=reverse):
            self.grid.addItem(self._item(entry))

    def _item(self, entry: Entry) -> QListWidgetItem:
        label = f"{entry.created:%Y-%m-%d %H:%M}\n{human_bytes(entry.file_bytes)}"
        item = QListWidgetItem(label)
        pixmap = self._thumbs.get(entry.path)
        if pixmap is not None:
            item.setIcon(QIcon(pixmap))
        tip = f"{entry.path.name}\n{entry.width}×{entry.height}, {entry.words} words"
        if entry.png_bytes:
            tip += f"\nPNG {human_bytes(entry.png_bytes)} → {human_bytes(entry.file_bytes)}"
        if self._snippets and self._snippets.get(entry.path):
            tip += f"\n\n{self._snippets[entry.path]}"
        item.setToolTip(tip)
        item.setData(PATH_ROLE, str(entry.path))
        return item

    @staticmethod
    def _path(item: QListWidgetItem) -> Path:
        return Path(item.data(PATH_ROLE))

    def _menu(self, pos: QPoint) -> None:
        item = self.grid.itemAt(pos)
        if item is None:
            return
        path = self._path(item)
        menu = QMenu(self)
        for text, signal in (("Open", self.open_requested),
                             ("Export PNG…", self.export_requested),
                             ("Copy image", self.copy_requested),
                             ("Show in folder", self.reveal_requested),
                             ("Move to trash", self.delete_requested)):
            menu.addAction(text, lambda s=signal: s.emit(path))
        menu.popup(self.grid.viewport().mapToGlobal(pos))

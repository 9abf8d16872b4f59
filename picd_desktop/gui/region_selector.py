"""Region selection over a frozen full-screen grab: dimmed, drag to select, Esc cancels."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, Qt, Signal
from PySide6.QtGui import QColor, QImage, QKeyEvent, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QWidget

DIM = QColor(0, 0, 0, 120)
ACCENT = QColor(40, 140, 255)


class RegionSelector(QWidget):
    """Emits `selected(QRect)` in the grab's pixel coordinates, or `cancelled`."""

    selected = Signal(QRect)
    cancelled = Signal()

    def __init__(self, grab: QImage, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.frozen = grab
        self.setWindowFlags(Qt.WindowType.FramelessWindowHint | Qt.WindowType.WindowStaysOnTopHint
                            | Qt.WindowType.Tool)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setMouseTracking(True)
        self._origin: QPoint | None = None
        self._current: QPoint | None = None
        self.resize(grab.size() / max(1.0, grab.devicePixelRatio()))

    def start(self) -> None:
        self.showFullScreen()
        self.activateWindow()
        self.setFocus()

    def selection(self) -> QRect:
        """The dragged rectangle in widget coordinates (empty before a drag)."""
        if self._origin is None or self._current is None:
            return QRect()
        (x0, x1), (y0, y1) = (sorted((self._origin.x(), self._current.x())),
                              sorted((self._origin.y(), self._current.y())))
        return QRect(x0, y0, x1 - x0, y1 - y0)  # drag end exclusive: 200 px drag = 200 px

    def set_selection(self, rect: QRect) -> None:
        """Select `rect` (widget coordinates) as if dragged; for keyboard use and scripts."""
        self._origin, self._current = rect.topLeft(), rect.bottomRight()
        self.update()

    def image_rect(self) -> QRect:
        """The selection in grab pixels (the grab may be larger than the widget: HiDPI)."""
        return self._grab_rect(self.selection())

    # events -------------------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton:
            self._origin = self._current = event.position().toPoint()
            self.update()
        elif event.button() == Qt.MouseButton.RightButton:
            self._cancel()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._origin is not None and event.buttons() & Qt.MouseButton.LeftButton:
            self._current = event.position().toPoint()
            self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton and self._origin is not None:
            self._current = event.position().toPoint()
            self._accept()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Escape:
            self._cancel()
        elif event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self._accept()
        else:
            super().keyPressEvent(event)

    def _accept(self) -> None:
        rect = self.image_rect()
        if rect.width() < 2 or rect.height() < 2:
            return  # a click, not a drag: keep selecting
        self.close()
        self.selected.emit(rect)

    def _cancel(self) -> None:
        self.close()
        self.cancelled.emit()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.drawImage(self.rect(), self.frozen)
        sel = self.selection()
        painter.fillRect(self.rect(), DIM)
        if not sel.isEmpty():
            painter.drawImage(sel, self.frozen, self._grab_rect(sel))
            painter.setPen(QPen(ACCENT, 2))
            painter.drawRect(sel)
            self._draw_label(painter, sel)
        else:
            painter.setPen(Qt.GlobalColor.white)
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter,
                             "Drag to select a region · Esc to cancel")
        painter.end()

    def _grab_rect(self, sel: QRect) -> QRect:
        sx = self.frozen.width() / max(1, self.width())
        sy = self.frozen.height() / max(1, self.height())
        return QRect(round(sel.x() * sx), round(sel.y() * sy), round(sel.width() * sx),
                     round(sel.height() * sy))

    def _draw_label(self, painter: QPainter, sel: QRect) -> None:
        rect = self.image_rect()
        text = f"{rect.width()} × {rect.height()}"
        metrics = painter.fontMetrics()
        box = metrics.boundingRect(text).adjusted(-6, -3, 6, 3)
        y = sel.top() - box.height() - 4
        box.moveTopLeft(QPoint(sel.left(), y if y >= 0 else sel.bottom() + 4))
        painter.fillRect(box, ACCENT)
        painter.setPen(Qt.GlobalColor.white)
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)

"""Region selection over a frozen grab: one dimmed window per screen, drag, Esc cancels.

`RegionSession` covers every screen with its own `RegionSelector` placed at that screen's
geometry and showing that screen's part of the desktop grab at native resolution; the
selection comes back in the grab's pixels through `app.capture.selection_box`.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QPoint, QRect, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QGuiApplication,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QScreen,
)
from PySide6.QtWidgets import QWidget

from picd_desktop.app.capture import Box, Desktop, ScreenArea, screen_box, selection_box
from picd_desktop.gui.workers import to_qimage

DIM = QColor(0, 0, 0, 120)
ACCENT = QColor(40, 140, 255)


class RegionSelector(QWidget):
    """One screen's frozen picture; emits `selected(QRect)` in logical widget coordinates
    (end exclusive: a 200 px drag selects 200 px) or `cancelled`."""

    selected = Signal(QRect)
    cancelled = Signal()

    def __init__(self, frozen: QImage, dpr: float = 1.0, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.frozen = QImage(frozen)
        self.frozen.setDevicePixelRatio(dpr)  # drawn at native resolution, not stretched
        self.dpr = dpr
        self.setWindowFlags(Qt.WindowType.FramelessWindowHint | Qt.WindowType.WindowStaysOnTopHint
                            | Qt.WindowType.Tool)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setMouseTracking(True)
        self._origin: QPoint | None = None
        self._current: QPoint | None = None

    def start(self, screen: QScreen | None = None) -> None:
        """Cover `screen` (default: the primary one) and take the keyboard."""
        screen = screen or QGuiApplication.primaryScreen()
        self.setScreen(screen)
        self.setGeometry(screen.geometry())
        self.showFullScreen()
        self.activateWindow()
        self.setFocus()

    def selection(self) -> QRect:
        """The dragged rectangle in widget coordinates (empty before a drag)."""
        if self._origin is None or self._current is None:
            return QRect()
        (x0, x1), (y0, y1) = (sorted((self._origin.x(), self._current.x())),
                              sorted((self._origin.y(), self._current.y())))
        return QRect(x0, y0, x1 - x0, y1 - y0)

    def set_selection(self, rect: QRect) -> None:
        """Select `rect` (widget coordinates) as if dragged; for keyboard use and scripts."""
        self._origin = rect.topLeft()
        self._current = QPoint(rect.x() + rect.width(), rect.y() + rect.height())
        self.update()

    def clear_selection(self) -> None:
        self._origin = self._current = None
        self.update()

    def native_size(self, sel: QRect) -> tuple[int, int]:
        return round(sel.width() * self.dpr), round(sel.height() * self.dpr)

    # events -------------------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton:
            self._origin = self._current = event.position().toPoint()
            self.update()
        elif event.button() == Qt.MouseButton.RightButton:
            self.cancelled.emit()

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
            self.cancelled.emit()
        elif event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self._accept()
        else:
            super().keyPressEvent(event)

    def _accept(self) -> None:
        sel = self.selection()
        if min(self.native_size(sel)) < 2:
            return  # a click, not a drag: keep selecting
        self.selected.emit(sel)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.fillRect(self.rect(), Qt.GlobalColor.black)
        painter.drawImage(QPoint(0, 0), self.frozen)
        sel = self.selection()
        painter.fillRect(self.rect(), DIM)
        if not sel.isEmpty():
            source = QRect(round(sel.x() * self.dpr), round(sel.y() * self.dpr),
                           *self.native_size(sel))
            painter.drawImage(sel, self.frozen, source)
            painter.setPen(QPen(ACCENT, 2))
            painter.drawRect(sel)
            self._draw_label(painter, sel)
        else:
            painter.setPen(Qt.GlobalColor.white)
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter,
                             "Drag to select a region · Esc to cancel")
        painter.end()

    def _draw_label(self, painter: QPainter, sel: QRect) -> None:
        text = "{} × {}".format(*self.native_size(sel))
        box = painter.fontMetrics().boundingRect(text).adjusted(-6, -3, 6, 3)
        y = sel.top() - box.height() - 4
        box.moveTopLeft(QPoint(sel.left(), y if y >= 0 else sel.bottom() + 4))
        painter.fillRect(box, ACCENT)
        painter.setPen(Qt.GlobalColor.white)
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)


def screen_area(screen: QScreen) -> ScreenArea:
    """What `app.capture` needs to know of a QScreen."""
    g = screen.geometry()
    return ScreenArea(g.x(), g.y(), g.width(), g.height(), screen.devicePixelRatio(),
                      screen.name())


class RegionSession(QObject):
    """One selector per screen over a frozen desktop grab.

    Emits `selected(box)` with (x0, y0, x1, y1) in the grab's pixels, or `cancelled`; either
    closes every selector.
    """

    selected = Signal(tuple)
    cancelled = Signal()

    def __init__(self, desktop: Desktop, screens: list[QScreen] | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.desktop = desktop
        self.selectors: list[tuple[QScreen, ScreenArea, RegionSelector]] = []
        for screen in screens or QGuiApplication.screens():
            area = screen_area(screen)
            part = desktop.image.crop(screen_box(area, desktop))
            selector = RegionSelector(to_qimage(part), area.dpr)
            selector.selected.connect(lambda rect, a=area: self._on_selected(a, rect))
            selector.cancelled.connect(self._on_cancelled)
            self.selectors.append((screen, area, selector))

    def start(self) -> RegionSession:
        for screen, _, selector in self.selectors:
            selector.start(screen)
        return self

    def selector_for(self, screen: QScreen) -> RegionSelector:
        return next(s for sc, _, s in self.selectors if sc is screen)

    def box_of(self, area: ScreenArea, rect: QRect) -> Box:
        x, y = rect.x(), rect.y()
        return selection_box(area, self.desktop, (x, y, x + rect.width(), y + rect.height()))

    def _on_selected(self, area: ScreenArea, rect: QRect) -> None:
        self.close()
        self.selected.emit(self.box_of(area, rect))

    def _on_cancelled(self) -> None:
        self.close()
        self.cancelled.emit()

    def close(self) -> None:
        for _, _, selector in self.selectors:
            selector.close()

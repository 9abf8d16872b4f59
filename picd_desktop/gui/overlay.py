"""OCR-verification overlay: word boxes green (verified) or red (mismatch), search hits."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsRectItem, QGraphicsSceneMouseEvent

from picd_desktop.text.layer import Box
from picd_desktop.verify import VerifyReport, WordCheck

VERIFIED = QColor(0, 170, 60)
MISMATCH = QColor(220, 30, 30)
HIT = QColor(255, 200, 0)


def summary(report: VerifyReport) -> str:
    """'N of M words verified'."""
    return f"{report.verified} of {report.total} words verified"


def tooltip(check: WordCheck) -> str:
    if check.status == "verified":
        return f"Verified: “{check.expected}”"
    found = f"“{check.found}”" if check.found else "nothing"
    return f"Expected “{check.expected}”, OCR read {found}"


class WordBox(QGraphicsRectItem):
    """One word's box; a click hands its expected text to `on_click`."""

    def __init__(self, check: WordCheck, on_click: Callable[[str], None] | None,
                 parent: QGraphicsItem) -> None:
        x0, y0, x1, y1 = check.box
        super().__init__(QRectF(x0, y0, x1 - x0, y1 - y0), parent)
        self.check = check
        self._on_click = on_click
        colour = VERIFIED if check.status == "verified" else MISMATCH
        pen = QPen(colour, 1.5)
        pen.setCosmetic(True)
        self.setPen(pen)
        fill = QColor(colour)
        fill.setAlpha(40)
        self.setBrush(QBrush(fill))
        self.setToolTip(tooltip(check))
        self.setCursor(Qt.CursorShape.PointingHandCursor)

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton and self._on_click is not None:
            self._on_click(self.check.expected)
            event.accept()
        else:
            event.ignore()


class Overlay:
    """The overlay items over an image item; `show_report` replaces them."""

    def __init__(self, parent: QGraphicsItem, on_word_click: Callable[[str], None]) -> None:
        self._parent = parent
        self._on_click = on_word_click
        self.words: list[WordBox] = []
        self.hits: list[QGraphicsRectItem] = []
        self.visible = True

    def show_report(self, report: VerifyReport) -> None:
        self.clear_words()
        self.words = [WordBox(check, self._on_click, self._parent) for check in report.checks]
        self.set_visible(self.visible)

    def show_hits(self, boxes: list[Box]) -> None:
        """Highlight search hits (line boxes)."""
        self.clear_hits()
        pen = QPen(HIT, 2)
        pen.setCosmetic(True)
        fill = QColor(HIT)
        fill.setAlpha(70)
        for x0, y0, x1, y1 in boxes:
            item = QGraphicsRectItem(QRectF(x0 - 2, y0 - 2, x1 - x0 + 4, y1 - y0 + 4),
                                     self._parent)
            item.setPen(pen)
            item.setBrush(QBrush(fill))
            item.setZValue(-0.5)
            self.hits.append(item)

    def set_visible(self, visible: bool) -> None:
        self.visible = visible
        for item in self.words:
            item.setVisible(visible)

    def clear_words(self) -> None:
        for item in self.words:
            _remove(item)
        self.words = []

    def clear_hits(self) -> None:
        for item in self.hits:
            _remove(item)
        self.hits = []

    def clear(self) -> None:
        self.clear_words()
        self.clear_hits()


def _remove(item: QGraphicsItem) -> None:
    scene = item.scene()
    if scene is not None:
        scene.removeItem(item)

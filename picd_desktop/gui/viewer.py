"""The image view: zoom (Ctrl+wheel, keys) and pan (drag), preview vs render toggle."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPainter, QPixmap, QResizeEvent, QWheelEvent
from PySide6.QtWidgets import QGraphicsPixmapItem, QGraphicsScene, QGraphicsView

PREVIEW, RENDER = "preview", "render"
ZOOM_STEP = 1.25
ZOOM_MIN, ZOOM_MAX = 0.05, 32.0


class ImageViewer(QGraphicsView):
    """Shows one image at a time; overlay items are children of `image_item`."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.image_item = QGraphicsPixmapItem()
        self.image_item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        self.scene().addItem(self.image_item)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setBackgroundBrush(Qt.GlobalColor.darkGray)
        self._images: dict[str, QImage] = {}
        self.kind = RENDER
        self._fitting = True  # keep the image fitted on resize until the user zooms

    # images -------------------------------------------------------------------------------
    def clear(self) -> None:
        self._images.clear()
        self.image_item.setPixmap(QPixmap())

    def set_image(self, image: QImage, kind: str = RENDER, fit: bool = False) -> None:
        """Store `image` as the preview or the render and show it if that kind is shown."""
        first = self.image_item.pixmap().isNull()
        self._images[kind] = image
        if kind == self.kind or kind not in (PREVIEW, RENDER) or first:
            self._show(image)
        if fit or first:
            self.fit()

    def has(self, kind: str) -> bool:
        return kind in self._images

    def image(self, kind: str | None = None) -> QImage | None:
        return self._images.get(kind or self.kind)

    def show_kind(self, kind: str) -> None:
        """Switch between the quick preview and the final render."""
        self.kind = kind
        if kind in self._images:
            self._show(self._images[kind])

    def _show(self, image: QImage) -> None:
        self.image_item.setPixmap(QPixmap.fromImage(image))
        self.scene().setSceneRect(self.image_item.boundingRect())

    # zoom ---------------------------------------------------------------------------------
    @property
    def zoom(self) -> float:
        return self.transform().m11()

    def set_zoom(self, factor: float) -> None:
        self._fitting = False
        factor = min(ZOOM_MAX, max(ZOOM_MIN, factor))
        self.resetTransform()
        self.scale(factor, factor)

    def zoom_in(self) -> None:
        self.set_zoom(self.zoom * ZOOM_STEP)

    def zoom_out(self) -> None:
        self.set_zoom(self.zoom / ZOOM_STEP)

    def actual_size(self) -> None:
        self.set_zoom(1.0)

    def fit(self) -> None:
        self._fitting = True
        if not self.image_item.pixmap().isNull():
            self.fitInView(self.image_item, Qt.AspectRatioMode.KeepAspectRatio)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt name)
        super().resizeEvent(event)
        if self._fitting:
            self.fit()

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 (Qt name)
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            (self.zoom_in if event.angleDelta().y() > 0 else self.zoom_out)()
            event.accept()
        else:
            super().wheelEvent(event)

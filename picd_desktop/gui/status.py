"""The status bar: text, progress, Cancel, verification summary, device; error dialogs."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMessageBox, QProgressBar, QPushButton, QStatusBar, QWidget


class StatusBar:
    """Fills a QStatusBar; the slots take what the controllers report."""

    def __init__(self, bar: QStatusBar, on_cancel: Callable[[], None]) -> None:
        self.text = QLabel("Ready")
        self.progress = QProgressBar(maximumWidth=220, textVisible=True)
        self.progress.hide()
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(on_cancel)
        self.cancel_button.hide()
        self.verify = QLabel()
        self.device = QLabel("Device: …")
        bar.addWidget(self.text, 1)
        bar.addPermanentWidget(self.verify)
        bar.addPermanentWidget(self.progress)
        bar.addPermanentWidget(self.cancel_button)
        bar.addPermanentWidget(self.device)

    def busy(self, text: str, cancellable: bool) -> None:
        if text:
            self.text.setText(text)
        self.progress.setRange(0, 0)
        self.progress.show()
        self.cancel_button.setVisible(cancellable)

    def set_progress(self, value: int, maximum: int, label: str) -> None:
        self.progress.setRange(0, maximum)
        self.progress.setValue(value)
        self.progress.setFormat(label)
        self.text.setText(f"{label}…")

    def idle(self, text: str = "") -> None:
        if text:
            self.text.setText(text)
        self.progress.hide()
        self.cancel_button.hide()

    def show_error(self, parent: QWidget, title: str, message: str) -> QMessageBox:
        """A non-blocking warning dialog (`open()`, never `exec()`)."""
        self.idle(title)
        box = QMessageBox(QMessageBox.Icon.Warning, title, message,
                          QMessageBox.StandardButton.Ok, parent)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        return box

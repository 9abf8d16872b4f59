"""The tray icon with capture actions, where the desktop has a system tray."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QMenu, QSystemTrayIcon


class Tray(QObject):
    """Signals only; the main window does the work."""

    capture_full = Signal()
    capture_region = Signal()
    show_window = Signal()
    quit = Signal()

    def __init__(self, icon: QIcon, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.icon: QSystemTrayIcon | None = None
        if not QSystemTrayIcon.isSystemTrayAvailable():
            return
        menu = QMenu()
        menu.addAction("Capture region", self.capture_region.emit)
        menu.addAction("Capture full screen", self.capture_full.emit)
        menu.addSeparator()
        menu.addAction("Show PICD Desktop", self.show_window.emit)
        menu.addAction("Quit", self.quit.emit)
        self._menu = menu
        self.icon = QSystemTrayIcon(icon, self)
        self.icon.setToolTip("PICD Desktop")
        self.icon.setContextMenu(menu)
        self.icon.activated.connect(self._activated)
        self.icon.show()

    @property
    def available(self) -> bool:
        return self.icon is not None

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason == QSystemTrayIcon.ActivationReason.Trigger:
            self.show_window.emit()

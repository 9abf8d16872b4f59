"""The tray icon with capture actions, where the desktop has a system tray."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QIcon
from PySide6.QtWidgets import QMenu, QSystemTrayIcon


class Tray(QObject):
    """Signals only; the main window does the work. The menu always exists (its actions
    are what the tray shows); the icon only where the desktop has a system tray."""

    capture_full = Signal()
    capture_region = Signal()
    show_window = Signal()
    quit = Signal()

    def __init__(self, icon: QIcon, parent: QObject | None = None) -> None:
        super().__init__(parent)
        menu = QMenu()
        self.actions: dict[str, QAction] = {}
        for key, text, signal in (("region", "Capture region", self.capture_region),
                                  ("full", "Capture full screen", self.capture_full),
                                  ("show", "Show PICD Desktop", self.show_window),
                                  ("quit", "Quit", self.quit)):
            if key == "show":
                menu.addSeparator()
            self.actions[key] = menu.addAction(text, signal.emit)
        self.menu = menu
        self.icon: QSystemTrayIcon | None = None
        if QSystemTrayIcon.isSystemTrayAvailable():
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

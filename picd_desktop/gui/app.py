"""Entry point: `picd-desktop [FILE]` opens a .picd (decodes it) or an image.

`picd-desktop --capture region` (or `full`) starts with a capture. When an instance is
already running, both hand their request to it and exit at once: that is the global capture
shortcut, bound by the desktop (e.g. GNOME Settings > Keyboard > Custom Shortcuts, KDE
System Settings > Shortcuts > Custom, or the .desktop file's actions); Qt has no global
hot-key API.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QWidget

from picd_desktop import __version__

ICON_NAME = "picd-desktop.png"


def app_icon() -> QIcon:
    """The shipped icon (resources/icons), or an empty icon if not found."""
    from picd_desktop.resources import resource_path

    try:
        path = resource_path("icons", ICON_NAME)
    except FileNotFoundError:
        return QIcon()
    return QIcon(str(path)) if path.is_file() else QIcon()


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="picd-desktop", description="PICD Desktop")
    parser.add_argument("file", nargs="?", help="a .picd file or an image to open")
    parser.add_argument("--capture", choices=("region", "full"),
                        help="start with a capture (for desktop actions and shortcuts)")
    parser.add_argument("--new-instance", action="store_true",
                        help="do not hand the request to an instance already running")
    parser.add_argument("--version", action="version", version=f"picd-desktop {__version__}")
    return parser.parse_args(argv)


def request_of(args: argparse.Namespace) -> str | None:
    """The message for a running instance: "open PATH", "capture region|full" or None."""
    if args.file:
        return f"open {Path(args.file).resolve()}"
    if args.capture:
        return f"capture {args.capture}"
    return None


def handle(window, message: str) -> None:
    """Do what a launch asked for (this one's arguments, or a later launch's)."""
    verb, _, rest = message.partition(" ")
    if verb == "open" and rest:
        window.showNormal()
        window.activateWindow()
        window.open_path(Path(rest))
    elif verb == "capture":
        (window.capture_region if rest == "region" else window.capture_full)()


def connect_tray(tray, window) -> None:
    tray.capture_full.connect(window.capture_full)
    tray.capture_region.connect(window.capture_region)
    tray.show_window.connect(lambda: (window.showNormal(), window.activateWindow()))
    tray.quit.connect(window.close)


def main(argv: list[str] | None = None) -> int:
    """Run the app (or hand the request to the running instance); returns the exit status."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    app = QApplication.instance() or QApplication(sys.argv[:1])

    from picd_desktop.gui.single_instance import InstanceServer, send_to_running

    request = request_of(args)
    if request is not None and not args.new_instance and send_to_running(request):
        return 0
    app.setApplicationName("PICD Desktop")
    app.setDesktopFileName("picd-desktop")
    icon = app_icon()
    app.setWindowIcon(icon)

    from picd_desktop.gui.main_window import MainWindow
    from picd_desktop.gui.tray import Tray

    window = MainWindow(icon=icon)
    window.show()
    window.start()
    if os.environ.get("PICD_QUIT_AFTER_SHOWN"):
        _quit_when_shown(app, window)
    connect_tray(Tray(icon, window), window)
    server = InstanceServer(parent=window)
    server.received.connect(lambda message: handle(window, message))
    server.listen()
    if request is not None:
        handle(window, request)
    status = app.exec()
    server.close()
    window.close()  # a quit from elsewhere (tray, session end) still stops workers and child
    return status


def _quit_when_shown(app: QApplication, window: QWidget) -> None:
    """Test/bench hook (PICD_QUIT_AFTER_SHOWN=1): print "shown" once the main window is
    exposed, then quit with status 0."""

    def check() -> None:
        handle = window.windowHandle()
        if window.isVisible() and handle is not None and handle.isExposed():
            if sys.stdout:  # None in a windowed Windows build
                print("shown", flush=True)
            window.close()
            app.quit()
        else:
            QTimer.singleShot(5, check)

    QTimer.singleShot(0, check)


if __name__ == "__main__":
    sys.exit(main())

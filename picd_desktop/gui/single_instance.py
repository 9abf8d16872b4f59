"""One running instance per user profile: later launches hand their request to it.

`picd-desktop --capture region` (what a desktop shortcut or a .desktop action runs) and
`picd-desktop FILE` send their request over a QLocalSocket to the instance already running
and exit; the first instance listens with a QLocalServer. The name is derived from the
config folder, so separate profiles (and tests with their own XDG folders) stay apart.
"""

from __future__ import annotations

import hashlib

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from picd_desktop.app.settings import config_path

TIMEOUT_MS = 1000


def server_name() -> str:
    key = hashlib.sha1(str(config_path().parent).encode()).hexdigest()[:12]
    return f"picd-desktop-{key}"


def send_to_running(message: str, name: str | None = None) -> bool:
    """Deliver `message` to a running instance; False when none listens."""
    socket = QLocalSocket()
    socket.connectToServer(name or server_name())
    if not socket.waitForConnected(TIMEOUT_MS):
        return False
    socket.write(message.encode("utf-8") + b"\n")
    sent = socket.waitForBytesWritten(TIMEOUT_MS)
    socket.disconnectFromServer()
    return sent


class InstanceServer(QObject):
    """Listens for requests of later launches: `received(message)`, one per line."""

    received = Signal(str)

    def __init__(self, name: str | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name or server_name()
        self.server = QLocalServer(self)
        self.server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self.server.newConnection.connect(self._accept)

    def listen(self) -> bool:
        """Start listening (a stale socket of a crashed instance is removed first)."""
        if not self.server.listen(self.name):
            QLocalServer.removeServer(self.name)
            return self.server.listen(self.name)
        return True

    def _accept(self) -> None:
        while self.server.hasPendingConnections():
            socket = self.server.nextPendingConnection()
            socket.readyRead.connect(lambda s=socket: self._read(s))
            socket.disconnected.connect(socket.deleteLater)
            self._read(socket)

    def _read(self, socket: QLocalSocket) -> None:
        while socket.canReadLine():
            line = bytes(socket.readLine().data()).decode("utf-8", "replace").strip()
            if line:
                self.received.emit(line)

    def close(self) -> None:
        self.server.close()

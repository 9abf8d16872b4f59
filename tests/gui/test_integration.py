"""Tray, drag and drop, clipboard, reveal, disk full, out of memory, the single-instance
launch (global shortcut), encode cancel and the renderer options, through the real window."""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import PySide6
import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QGuiApplication
from PySide6.QtWidgets import QApplication
from screens import render_screenshot

from picd_desktop import api
from picd_desktop.app.encoder import EncoderProcess
from picd_desktop.app.settings import Settings
from picd_desktop.render import registry

ROOT = Path(__file__).resolve().parents[2]


def test_tray_actions_capture(qtbot, window, display: str) -> None:
    from picd_desktop.gui.app import connect_tray
    from picd_desktop.gui.tray import Tray

    tray = Tray(window.windowIcon(), window)
    connect_tray(tray, window)
    texts = [a.text() for a in tray.menu.actions() if not a.isSeparator()]
    assert texts == ["Capture region", "Capture full screen", "Show PICD Desktop", "Quit"]
    with qtbot.waitSignal(window.encoded, timeout=60_000) as encoded:
        tray.actions["full"].trigger()
    assert api.info(encoded.args[0].path).width == 1024
    with qtbot.waitSignal(window.captures.session_opened, timeout=10_000) as opened:
        tray.actions["region"].trigger()
    session = opened.args[0]
    with qtbot.waitSignal(session.cancelled, timeout=5_000):
        session.selectors[0][2].cancelled.emit()  # Esc on the selector
    qtbot.waitUntil(window.isVisible, timeout=5_000)


def _drop(window, paths: list[Path]) -> QDropEvent:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    center = window.rect().center()
    # QDragEnterEvent takes a QPoint up to Qt 6.11 and a QPointF from Qt 6.12 on
    at = QPointF(center) if PySide6.__version_info__ >= (6, 12) else center
    enter = QDragEnterEvent(at, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    drop = QDropEvent(QPointF(center), Qt.DropAction.CopyAction, mime,
                      Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, drop)
    return drop


def test_drop_and_clipboard(qtbot, window, picd_path: Path, tmp_path: Path) -> None:
    with qtbot.waitSignal(window.decoded, timeout=30_000) as decoded:
        drop = _drop(window, [picd_path])
    assert drop.isAccepted()
    result = decoded.args[0]
    assert result.path == picd_path
    clipboard = QGuiApplication.clipboard()
    window.copy_image()
    copied = clipboard.image()
    assert (copied.width(), copied.height()) == result.render.size
    assert copied.pixelColor(5, 5).getRgb()[:3] == result.render.getpixel((5, 5))
    window.copy_text()
    assert clipboard.text() == result.layer.text
    png = tmp_path / "plain.png"
    Image.new("RGB", (64, 48), (10, 200, 30)).save(png)
    _drop(window, [png])
    qtbot.waitUntil(lambda: window.source_image is not None, timeout=10_000)
    assert window.source_image.size == (64, 48)
    window.copy_image()
    assert clipboard.image().pixelColor(0, 0).getRgb()[:3] == (10, 200, 30)


def test_archive_copy_and_reveal(qtbot, window, picd_path: Path,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from PySide6.QtCore import QProcess

    with qtbot.waitSignal(window.archiving.copied, timeout=30_000):
        window.archive.copy_requested.emit(picd_path)
    assert QGuiApplication.clipboard().image().width() == api.info(picd_path).width
    launched: list[tuple[str, list[str]]] = []
    monkeypatch.setattr(QProcess, "startDetached",
                        lambda program, args: launched.append((program, args)) or True)
    window.archive.reveal_requested.emit(picd_path)
    expected = {"win32": ("explorer", [f"/select,{picd_path}"]),
                "darwin": ("open", ["-R", str(picd_path)])}
    assert launched == [expected.get(sys.platform, ("xdg-open", [str(picd_path.parent)]))]


@pytest.fixture
def full_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A folder on a full 8 KB tmpfs (root only); elsewhere os.write fails with ENOSPC."""
    folder = tmp_path / "full"
    folder.mkdir()
    mounted = os.geteuid() == 0 and subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=8k", "tmpfs", str(folder)],
        capture_output=True).returncode == 0
    if mounted:  # fill it up: any further write fails with ENOSPC
        with contextlib.suppress(OSError), open(folder / "filler", "wb") as f:
            while True:
                f.write(b"\0" * 1024)
                f.flush()
    else:
        def no_space(fd: int, data) -> int:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        monkeypatch.setattr(os, "write", no_space)
    yield folder
    if mounted:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def test_disk_full_dialog(qtbot, window, full_disk: Path) -> None:
    window.apply_settings(Settings(archive_dir=str(full_disk)))
    window.show_source(render_screenshot(800, 400))
    with qtbot.waitSignal(window.error_shown, timeout=60_000) as shown:
        window.encode_current()
    title, message = shown.args
    assert title == "Disk full", message
    assert "No space left on device" in message or "disk full" in message
    assert list(full_disk.glob("*.picd")) == []  # nothing half-written
    assert window.act_archive.isEnabled()


def test_out_of_memory_dialog(qtbot, tmp_path: Path) -> None:
    from picd_desktop.gui.main_window import MainWindow

    capped = EncoderProcess(memory_limit_mb=64)  # the child's allocations fail past +64 MB
    win = MainWindow(Settings(archive_dir=str(tmp_path / "a")), tmp_path / "s.json",
                     encoder=capped)
    qtbot.addWidget(win)
    try:
        win.show_source(Image.new("L", (8000, 8000), 255))
        with qtbot.waitSignal(win.error_shown, timeout=60_000) as shown:
            win.encode_current()
        assert shown.args[0] == "Out of memory"
        assert win.error_box.isVisible() and not win.progress.isVisible()
    finally:
        win.close()
        capped.close()


def test_cancel_encode_mid_stage(qtbot, window) -> None:
    encoder = window.encoding.encoder
    window.show_source(render_screenshot(1920, 1080))
    with qtbot.waitSignal(window.encoding.progress, timeout=30_000,
                          check_params_cb=lambda v, m, label: label.startswith("Reading")):
        window.encode_current()
    old = encoder.pid
    time.sleep(0.3)  # inside OCR (Tesseract runs for over a second on 1080p)
    start = time.monotonic()
    with qtbot.waitSignal(window.encoding.cancelled, timeout=5_000), \
            qtbot.assertNotEmitted(window.encoded, wait=0):
        window.cancel_button.click()
    assert time.monotonic() - start < 1.0
    assert window.status.text() == "Compression cancelled"
    assert encoder.pid != old and old is not None and not os.path.exists(f"/proc/{old}/cmdline")
    assert list(window.library.folder.glob("*.picd")) == []
    with qtbot.waitSignal(window.encoded, timeout=60_000):  # the fresh child works
        window.show_source(render_screenshot(300, 100))
        window.encode_current()


def test_save_as_writes_a_picd(qtbot, window, tmp_path: Path) -> None:
    window.show_source(render_screenshot(300, 100))
    target = tmp_path / "chosen.picd"
    with qtbot.waitSignal(window.exported, timeout=60_000) as saved:
        window.save_picd(target)
    assert saved.args == [target] and api.info(target).width == 300
    with qtbot.waitSignal(window.error_shown, timeout=60_000) as shown:
        window.save_picd(target)  # never overwrites unless the save dialog asked
    assert shown.args[0] == "File exists"
    assert window.act_save_as.isEnabled()


def test_second_launch_hands_capture_to_the_running_instance(qtbot, window,
                                                             display: str) -> None:
    from picd_desktop.gui.app import handle
    from picd_desktop.gui.single_instance import InstanceServer

    server = InstanceServer(parent=window)
    server.received.connect(lambda message: handle(window, message))
    assert server.listen()
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen",
               PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "tests")]))
    proc = None
    try:
        with qtbot.waitSignal(window.encoded, timeout=90_000) as encoded:
            proc = subprocess.Popen([sys.executable, "-m", "picd_desktop.gui.app",
                                     "--capture", "full"], env=env, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE)
            qtbot.waitUntil(lambda: proc.poll() is not None, timeout=30_000)
        _, err = proc.communicate()
        assert proc.returncode == 0, err.decode(errors="replace")
        assert api.info(encoded.args[0].path).width == 1024
    finally:
        server.close()
        if proc is not None and proc.poll() is None:  # never leave the launcher behind
            proc.kill()
            proc.communicate()


class RecordingRenderer:
    """Records the options api.decode hands to the renderer; renders like composite."""

    seen: list[dict] = []

    def __init__(self, **options: object) -> None:
        RecordingRenderer.seen.append(options)

    def render(self, base, glyphs, layer, *, progress=None, cancel=None):
        from picd_desktop.render.composite import CompositeRenderer

        return CompositeRenderer().render(base, glyphs, layer, progress=progress,
                                          cancel=cancel)


registry.register("recording-test", lambda **options: RecordingRenderer(**options))


def test_renderer_settings_reach_the_decoder(qtbot, window, picd_path: Path) -> None:
    import inspect

    window.settings = Settings(archive_dir=window.settings.archive_dir,
                               renderer="recording-test", steps=3, device="cpu",
                               guidance=True)
    RecordingRenderer.seen.clear()
    with qtbot.waitSignal(window.decoded, timeout=30_000):
        window.open_path(picd_path)
    accepted = inspect.signature(api.decode).parameters
    expected = {"renderer": "recording-test", "device": "cpu", "steps": 3, "guidance": True,
                "seed": 0}
    assert window.decoding.options == {k: v for k, v in expected.items() if k in accepted}
    assert RecordingRenderer.seen and RecordingRenderer.seen[-1]["steps"] == 3
    assert RecordingRenderer.seen[-1]["device"] == "cpu"
    if "guidance" in accepted:
        assert RecordingRenderer.seen[-1].get("guidance") is True
    window.settings = Settings(archive_dir=window.settings.archive_dir, guidance=True)
    with qtbot.waitSignal(window.decoded, timeout=30_000):
        window.open_path(picd_path)
    assert window.decoding.options == {"renderer": "composite"}  # no guidance for composite


def test_settings_dialog_lists_the_api_renderers(qtbot, window) -> None:
    window.settings_dialog()
    dialog = window._dialogs[0]
    qtbot.addWidget(dialog)
    items = [dialog.renderer.itemText(i) for i in range(dialog.renderer.count())]
    assert items == sorted(set(api.available_renderers()) | {"composite"})
    dialog.reject()


@pytest.mark.skipif("diffusion" not in api.available_renderers(),
                    reason="the diffusion renderer is not installed yet")
def test_diffusion_decode_previews(qtbot, window, picd_path: Path) -> None:
    window.settings = Settings(archive_dir=window.settings.archive_dir, renderer="diffusion",
                               steps=2, device="cpu")
    steps: list[tuple[int, int]] = []
    window.previewed.connect(lambda step, total: steps.append((step, total)))
    with qtbot.waitSignal(window.decoded, timeout=300_000):
        window.open_path(picd_path)
    assert steps[0][0] == 0 and steps[-1] == (2, 2)

"""Decoding in a worker: N-step previews, cancel, close during decode, responsiveness."""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QElapsedTimer, QTimer

from picd_desktop import api
from picd_desktop.gui.viewer import PREVIEW, RENDER

STEPPED = "stepped-test"  # registered by conftest.py


def _stepped(window, steps: int) -> None:
    window.settings.renderer = STEPPED
    window.settings.steps = steps


def test_previews_arrive_step_by_step(qtbot, window, picd_path: Path) -> None:
    _stepped(window, 5)
    previews: list[tuple[int, int]] = []
    window.previewed.connect(lambda step, total: previews.append((step, total)))
    with qtbot.waitSignal(window.decoded, timeout=30_000) as decoded:
        window.open_path(picd_path)
    assert previews == [(step, 5) for step in range(6)]  # 0 = quick preview, then 1..5
    assert window.progress.isHidden()
    result = decoded.args[0]
    assert result.preview.tobytes() == api.decode(picd_path).tobytes()  # quick = composite
    assert window.viewer.has(PREVIEW) and window.viewer.has(RENDER)
    window.act_preview.trigger()
    assert window.viewer.image() is window.viewer.image(PREVIEW)
    assert window.shown_image() is result.preview
    window.act_preview.trigger()
    assert window.shown_image() is result.render


def test_cancel_during_decode(qtbot, window, picd_path: Path) -> None:
    _stepped(window, 40)
    with qtbot.waitSignal(window.previewed, timeout=30_000,
                          check_params_cb=lambda step, total: step >= 1):
        window.open_path(picd_path)
    assert window.cancel_button.isVisible()
    with qtbot.assertNotEmitted(window.decoded, wait=300):
        window.cancel_button.click()
        qtbot.waitUntil(lambda: window.status.text() == "Decoding cancelled", timeout=10_000)
    assert window.result is None
    assert not window.cancel_button.isVisible()
    qtbot.waitUntil(lambda: window.pool.running() == 0, timeout=10_000)


def test_close_during_decode_stops_the_worker(qtbot, window, picd_path: Path) -> None:
    _stepped(window, 200)
    with qtbot.waitSignal(window.previewed, timeout=30_000,
                          check_params_cb=lambda step, total: step >= 1):
        window.open_path(picd_path)
    threads = [job.thread for job in window.pool._jobs]
    assert threads and any(t.isRunning() for t in threads)
    start = time.monotonic()
    window.close()
    assert time.monotonic() - start < 5
    assert all(t.isFinished() for t in threads)
    assert window.pool.running() == 0


def test_ui_stays_responsive_during_decode(qtbot, window, picd_path: Path) -> None:
    """A 20 ms timer keeps ticking through decodes and verification (generous bound)."""
    gaps: list[int] = []
    clock = QElapsedTimer()
    clock.start()

    def tick() -> None:
        gaps.append(clock.restart())

    timer = QTimer()
    timer.setInterval(20)
    timer.timeout.connect(tick)
    timer.start()
    for _ in range(3):
        with qtbot.waitSignal(window.verified, timeout=60_000):
            window.open_path(picd_path)
    timer.stop()
    assert len(gaps) > 10
    assert max(gaps) < 500, f"event loop stalled {max(gaps)} ms"

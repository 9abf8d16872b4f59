"""GUI test setup: offscreen Qt (set before any Qt import), isolated XDG dirs, real files."""

from __future__ import annotations

import os

os.environ["QT_QPA_PLATFORM"] = "offscreen"  # noqa: E402 (must precede every Qt import)

import select
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import app_fixtures
import pytest
from PIL import Image

from picd_desktop.format.errors import Cancelled
from picd_desktop.render import registry
from picd_desktop.render.composite import CompositeRenderer

xdg_home = app_fixtures.xdg_home  # shared fixtures (tests/app_fixtures.py)
picd_bytes = app_fixtures.picd_bytes

STEPPED = "stepped-test"


class SteppedRenderer:
    """A multi-step renderer like the coming diffusion one: N previews, cancellable per step.

    It blends the base towards the composite render, one step every `delay` seconds.
    """

    name = STEPPED

    def __init__(self, steps: int | None = None, delay: float = 0.08, **_: object) -> None:
        self.steps = steps or 4
        self.delay = delay

    def render(self, base, glyphs, layer, *, progress=None, cancel=None):
        final = CompositeRenderer().render(base, glyphs, layer)
        image = base
        for step in range(1, self.steps + 1):
            if cancel is not None and cancel():
                raise Cancelled("rendering cancelled")
            time.sleep(self.delay)
            image = Image.blend(base.convert("RGB"), final, step / self.steps)
            if progress is not None:
                progress(step, self.steps, image)
        return image


registry.register(STEPPED, lambda **options: SteppedRenderer(**options))




@pytest.fixture
def picd_path(tmp_path: Path, picd_bytes: bytes) -> Path:
    path = tmp_path / "shot.picd"
    path.write_bytes(picd_bytes)
    return path


@pytest.fixture
def window(qtbot, tmp_path: Path):
    """The main window over an empty archive folder in tmp_path."""
    from picd_desktop.app.settings import Settings
    from picd_desktop.gui.main_window import MainWindow

    settings = Settings(archive_dir=str(tmp_path / "archive"))
    win = MainWindow(settings=settings, settings_path=tmp_path / "settings.json")
    qtbot.addWidget(win)
    win.show()
    yield win
    win.close()


def _wait_for_clients(display: str, seconds: float = 20.0) -> None:
    """Block until an X client can connect to `display` (a loaded machine can lag)."""
    import mss

    deadline = time.monotonic() + seconds
    while True:
        os.environ["DISPLAY"], saved = display, os.environ.get("DISPLAY")
        try:
            with mss.MSS():
                return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.25)
        finally:
            if saved is None:
                os.environ.pop("DISPLAY", None)
            else:
                os.environ["DISPLAY"] = saved


@pytest.fixture(scope="session")
def xvfb() -> Iterator[str]:
    """An Xvfb server on a free display, ready for connections; yields its DISPLAY value.

    `-displayfd` makes Xvfb pick a free display and write its number once it accepts clients.
    """
    binary = shutil.which("Xvfb")
    if binary is None:
        pytest.skip("Xvfb is not installed: screen capture needs a real X display "
                    "(mss cannot capture Qt's offscreen platform)")
    read_end, write_end = os.pipe()
    proc = subprocess.Popen([binary, "-displayfd", str(write_end), "-screen", "0",
                             "1024x768x24", "-nolisten", "tcp"], pass_fds=(write_end,),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_end)
    number = b""
    deadline = time.monotonic() + 30
    while not number.endswith(b"\n") and time.monotonic() < deadline:
        ready, _, _ = select.select([read_end], [], [], 0.5)
        if ready:
            chunk = os.read(read_end, 16)
            if not chunk:
                break
            number += chunk
    os.close(read_end)
    if not number.strip().isdigit():
        proc.kill()
        pytest.fail("Xvfb did not start")
    display = f":{number.strip().decode()}"
    _wait_for_clients(display)
    yield display
    proc.terminate()
    proc.wait(10)


@pytest.fixture
def display(xvfb: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("DISPLAY", xvfb)
    return xvfb

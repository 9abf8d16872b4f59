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


@pytest.fixture(scope="session")
def encoder() -> Iterator[object]:
    """One encoder child for the session's windows (each would otherwise import the API)."""
    from picd_desktop.app.encoder import EncoderProcess

    proc = EncoderProcess()
    proc.warm()
    yield proc
    proc.close()


@pytest.fixture
def window(qtbot, tmp_path: Path, encoder):
    """The main window over an empty archive folder in tmp_path."""
    from picd_desktop.app.settings import Settings
    from picd_desktop.gui.main_window import MainWindow

    settings = Settings(archive_dir=str(tmp_path / "archive"))
    win = MainWindow(settings=settings, settings_path=tmp_path / "settings.json",
                     encoder=encoder)
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


def start_xvfb(*screen_args: str) -> tuple[subprocess.Popen, str]:
    """An Xvfb server on a free display, ready for connections: (process, DISPLAY value).

    `-displayfd` makes Xvfb pick a free display and write its number once it accepts clients.
    `-noreset`: by default an X server resets when its last client disconnects, and every
    mss grab is a connect-grab-disconnect; a client that connects while the server resets
    is dropped ("connection lost or could not be established"), which a loaded machine
    hits now and then. With `setpriv --pdeathsig` the server also dies with this process,
    so a crashed test run leaves no Xvfb behind.
    """
    binary = shutil.which("Xvfb")
    if binary is None:
        pytest.skip("Xvfb is not installed: screen capture needs a real X display "
                    "(mss cannot capture Qt's offscreen platform)")
    setpriv = shutil.which("setpriv")
    guard = [setpriv, "--pdeathsig", "TERM", "--"] if setpriv else []
    read_end, write_end = os.pipe()
    proc = subprocess.Popen([*guard, binary, "-displayfd", str(write_end), "-noreset",
                             *screen_args, "-nolisten", "tcp"], pass_fds=(write_end,),
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
    display = f":{number.strip().decode()}"
    try:
        if not number.strip().isdigit():
            pytest.fail("Xvfb did not start")
        _wait_for_clients(display)
    except BaseException:
        proc.kill()
        proc.wait(10)
        raise
    return proc, display


@pytest.fixture(scope="session")
def xvfb() -> Iterator[str]:
    """One 1024x768 screen; yields its DISPLAY value."""
    proc, display = start_xvfb("-screen", "0", "1024x768x24")
    yield display
    proc.terminate()
    proc.wait(10)


TWO_MONITORS = [("LEFT-1", 0, 0, 1024, 600), ("RIGHT-2", 1024, 0, 640, 480)]


@pytest.fixture(scope="session")
def xvfb_two_monitors() -> Iterator[str]:
    """One 1664x600 X screen split into two RandR monitors (TWO_MONITORS): Qt and mss see
    two screens of one virtual desktop, as on a real dual-monitor X11 setup."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "xrandr_monitors", Path(__file__).with_name("xrandr_monitors.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    set_monitors = module.set_monitors
    proc, display = start_xvfb("-screen", "0", "1664x600x24")  # -noreset: monitors stay
    try:
        try:
            found = set_monitors(display, TWO_MONITORS)
        except OSError as exc:
            pytest.skip(f"cannot define RandR monitors on Xvfb: {exc}")
        assert found == [m[1:] for m in TWO_MONITORS], found
        yield display
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture
def display(xvfb: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("DISPLAY", xvfb)
    return xvfb

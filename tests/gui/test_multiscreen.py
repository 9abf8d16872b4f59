"""Region capture on two monitors (Xvfb split into two RandR monitors, real xcb Qt, real mss).

A wallpaper window encodes every pixel's native coordinates in its colour, so the captured
image tells exactly which desktop pixels the selection mapped to. Qt runs in child processes
(this test process is on the offscreen platform).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

CHILD = Path(__file__).with_name("multiscreen_child.py")
ROOT = Path(__file__).resolve().parents[2]


def _env(display: str, scale: str | None = None) -> dict[str, str]:
    env = dict(os.environ, DISPLAY=display, QT_QPA_PLATFORM="xcb",
               PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "tests")]))
    env.pop("QT_SCALE_FACTOR", None)
    if scale is not None:
        env["QT_SCALE_FACTOR"] = scale
    return env


@pytest.fixture(scope="module")
def wallpaper(xvfb_two_monitors: str) -> Iterator[str]:
    proc = subprocess.Popen([sys.executable, str(CHILD), "wallpaper"],
                            env=_env(xvfb_two_monitors), stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    yield xvfb_two_monitors
    proc.kill()
    proc.wait(10)


def _select(display: str, scale: str | None, screen: str, drag: tuple[int, ...]) -> dict:
    out = subprocess.run([sys.executable, str(CHILD), "select", screen, *map(str, drag)],
                         env=_env(display, scale), capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(("scale", "drag", "native"), [
    (None, (10, 20, 110, 70), (1034, 20, 1134, 70)),
    ("2", (10, 20, 60, 45), (1044, 40, 1144, 90)),  # 2x: logical (10, 20) is native +20, +40
])
def test_region_on_the_second_monitor(wallpaper: str, scale, drag, native) -> None:
    report = _select(wallpaper, scale, "RIGHT-2", drag)
    assert "error" not in report, report
    dpr = float(scale or 1)
    # one selector per screen, on that screen, covering exactly its geometry
    assert set(report["selectors"]) == {"LEFT-1", "RIGHT-2"}
    for name, (on_screen, rect) in report["selectors"].items():
        assert on_screen == name
        assert rect == report["screens"][name][0]
        assert report["screens"][name][1] == dpr
    x0, y0, x1, y1 = native
    assert report["size"] == [x1 - x0, y1 - y0]
    assert report["top_left"] == [x0, y0]
    assert report["bottom_right"] == [x1 - 1, y1 - 1]


def test_region_on_the_first_monitor(wallpaper: str) -> None:
    report = _select(wallpaper, None, "LEFT-1", (1000, 590, 1024, 600))
    assert report["top_left"] == [1000, 590] and report["size"] == [24, 10]

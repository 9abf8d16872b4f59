"""Helpers to run the built bundle: an isolated user environment, a private Xvfb display, and
the time from spawning `picd-desktop` to its first window (used by test_bundle.py and
bench/bundle_speed.py)."""

from __future__ import annotations

import os
import select
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = ROOT / "installer" / "dist" / "picd-desktop"
WINDOW_TITLE = "PICD Desktop"
# Asks gui/app.py to print "shown" and quit once its main window is exposed (see
# installer/README.md: the lead adds this hook to picd_desktop/gui/app.py).
QUIT_AFTER_SHOWN = "PICD_QUIT_AFTER_SHOWN"


def user_env(home: Path, **extra: str) -> dict[str, str]:
    """A minimal environment for a user whose HOME (settings, archive, index) is `home`."""
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "TMPDIR")}
    env.update(HOME=str(home), XDG_DATA_HOME=str(home / ".local/share"),
               XDG_CONFIG_HOME=str(home / ".config"), XDG_CACHE_HOME=str(home / ".cache"),
               XDG_RUNTIME_DIR=str(home / ".run"), OMP_THREAD_LIMIT="1")
    (home / ".run").mkdir(parents=True, exist_ok=True, mode=0o700)
    env.update(extra)
    return env


@contextmanager
def xvfb(size: str = "1280x800x24") -> Iterator[str]:
    """A private Xvfb server; yields its DISPLAY. `-displayfd` picks a free display number
    and reports it once the server accepts clients. `-noreset`: otherwise the server resets
    when its last client (the xwininfo probe) leaves, and a client connecting during that
    reset fails ("could not connect to display")."""
    binary = shutil.which("Xvfb")
    if binary is None:
        raise FileNotFoundError("Xvfb is not installed (apt-get install xvfb)")
    read_end, write_end = os.pipe()
    proc = subprocess.Popen([binary, "-displayfd", str(write_end), "-screen", "0", size,
                             "-nolisten", "tcp", "-noreset"], pass_fds=(write_end,),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_end)
    number = b""
    deadline = time.monotonic() + 30
    while not number.endswith(b"\n") and time.monotonic() < deadline:
        if select.select([read_end], [], [], 0.5)[0]:
            chunk = os.read(read_end, 16)
            if not chunk:
                break
            number += chunk
    os.close(read_end)
    try:
        if not number.strip().isdigit():
            raise RuntimeError("Xvfb did not start")
        display = f":{number.decode().strip()}"
        probe = subprocess.run(["xwininfo", "-root", "-display", display], capture_output=True)
        if probe.returncode != 0:
            raise RuntimeError(f"Xvfb on {display} accepts no clients: {probe.stderr!r}")
        yield display
    finally:
        proc.terminate()
        proc.wait(10)


def window_viewable(display: str, title: str = WINDOW_TITLE) -> bool:
    """True once a top-level window named `title` is mapped (viewable) on `display`."""
    out = subprocess.run(["xwininfo", "-display", display, "-name", title],
                         capture_output=True, text=True).stdout
    return "Map State: IsViewable" in out


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def time_to_window_x11(args: list[str], env: dict[str, str], display: str,
                       timeout: float = 60.0, poll_s: float = 0.02) -> float:
    """Seconds from spawning `args` (the GUI, xcb platform on `display`) until its main
    window is viewable, watched from outside with xwininfo; the app is then terminated."""
    env = {**env, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb"}
    start = time.perf_counter()
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        while time.perf_counter() - start < timeout:
            if window_viewable(display):
                return time.perf_counter() - start
            if proc.poll() is not None:
                raise RuntimeError(f"{args[0]} exited ({proc.returncode}) before showing a "
                                   f"window: {proc.stderr.read().decode()[-2000:]}")
            time.sleep(poll_s)
        raise TimeoutError(f"no '{WINDOW_TITLE}' window within {timeout} s")
    finally:
        _stop(proc)


def time_to_window_offscreen(args: list[str], env: dict[str, str],
                             timeout: float = 60.0) -> float:
    """Seconds from spawning `args` (offscreen platform, QUIT_AFTER_SHOWN set) until it
    prints "shown"; it must then quit by itself with status 0."""
    env = {**env, "QT_QPA_PLATFORM": "offscreen", QUIT_AFTER_SHOWN: "1"}
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=err, text=True)
        try:
            elapsed = None
            while elapsed is None and time.perf_counter() - start < timeout:
                if not select.select([proc.stdout], [], [], 0.5)[0]:
                    continue
                line = proc.stdout.readline()
                if not line:
                    break  # exited without showing
                if line.strip() == "shown":
                    elapsed = time.perf_counter() - start
            if elapsed is None and proc.poll() is None:
                raise TimeoutError(
                    f"{args[0]} did not print 'shown' within {timeout} s with "
                    f"{QUIT_AFTER_SHOWN}=1: gui/app.py lacks the hook (installer/README.md)")
            status = proc.wait(30)
            err.seek(0)
            if elapsed is None or status != 0:
                raise RuntimeError(f"{args[0]} exited {status} (shown: {elapsed is not None}):"
                                   f" {err.read().decode(errors='replace')[-2000:]}")
            return elapsed
        finally:
            _stop(proc)

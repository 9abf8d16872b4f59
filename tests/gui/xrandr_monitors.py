"""Define RandR 1.5 monitors on an X screen with libXrandr (what `xrandr --setmonitor` does).

Xvfb has one output; splitting its screen into monitors gives Qt (and mss) several screens,
which is how the multi-monitor region capture is tested without a second X screen.
"""

from __future__ import annotations

import ctypes
import ctypes.util


class _Monitor(ctypes.Structure):
    _fields_ = [("name", ctypes.c_ulong), ("primary", ctypes.c_int),
                ("automatic", ctypes.c_int), ("noutput", ctypes.c_int), ("x", ctypes.c_int),
                ("y", ctypes.c_int), ("width", ctypes.c_int), ("height", ctypes.c_int),
                ("mwidth", ctypes.c_int), ("mheight", ctypes.c_int),
                ("outputs", ctypes.POINTER(ctypes.c_ulong))]


class _Resources(ctypes.Structure):
    _fields_ = [("timestamp", ctypes.c_ulong), ("config_timestamp", ctypes.c_ulong),
                ("ncrtc", ctypes.c_int), ("crtcs", ctypes.POINTER(ctypes.c_ulong)),
                ("noutput", ctypes.c_int), ("outputs", ctypes.POINTER(ctypes.c_ulong))]


def _libs() -> tuple[ctypes.CDLL, ctypes.CDLL]:
    x11 = ctypes.CDLL(ctypes.util.find_library("X11"))
    xrr = ctypes.CDLL(ctypes.util.find_library("Xrandr"))
    x11.XOpenDisplay.restype = ctypes.c_void_p
    x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
    x11.XDefaultRootWindow.restype = ctypes.c_ulong
    x11.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
    x11.XInternAtom.restype = ctypes.c_ulong
    x11.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
    x11.XSync.argtypes = [ctypes.c_void_p, ctypes.c_int]
    x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
    xrr.XRRAllocateMonitor.restype = ctypes.POINTER(_Monitor)
    xrr.XRRAllocateMonitor.argtypes = [ctypes.c_void_p, ctypes.c_int]
    xrr.XRRSetMonitor.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.POINTER(_Monitor)]
    xrr.XRRGetMonitors.restype = ctypes.POINTER(_Monitor)
    xrr.XRRGetMonitors.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int,
                                   ctypes.POINTER(ctypes.c_int)]
    xrr.XRRGetScreenResources.restype = ctypes.POINTER(_Resources)
    xrr.XRRGetScreenResources.argtypes = [ctypes.c_void_p, ctypes.c_ulong]
    return x11, xrr


def set_monitors(display: str, monitors: list[tuple[str, int, int, int, int]]) -> list[tuple]:
    """Replace the monitors of `display` by (name, x, y, width, height) ones; returns what
    the server reports. The first one takes the screen's output (and is primary); the server
    must run with -noreset, or the monitors vanish when this client disconnects."""
    x11, xrr = _libs()
    dpy = x11.XOpenDisplay(display.encode())
    if not dpy:
        raise OSError(f"cannot open display {display}")
    try:
        root = x11.XDefaultRootWindow(dpy)
        output = xrr.XRRGetScreenResources(dpy, root).contents.outputs[0]
        for i, (name, x, y, width, height) in enumerate(monitors):
            mon = xrr.XRRAllocateMonitor(dpy, 1 if i == 0 else 0).contents
            if i == 0:
                mon.outputs[0] = output
            mon.name = x11.XInternAtom(dpy, name.encode(), 0)
            mon.primary = int(i == 0)
            mon.x, mon.y, mon.width, mon.height = x, y, width, height
            mon.mwidth, mon.mheight = width // 4, height // 4
            xrr.XRRSetMonitor(dpy, root, ctypes.byref(mon))
        x11.XSync(dpy, 0)
        count = ctypes.c_int()
        found = xrr.XRRGetMonitors(dpy, root, 1, ctypes.byref(count))
        return [(found[i].x, found[i].y, found[i].width, found[i].height)
                for i in range(count.value)]
    finally:
        x11.XCloseDisplay(dpy)
